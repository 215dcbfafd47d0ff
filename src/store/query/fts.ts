/**
 * Full-text tokens, the same way SQLite FTS5's `unicode61 remove_diacritics 0` tokenizer cuts
 * text: runs of Unicode letters, numbers and private-use characters, case-folded. Used to build
 * FTS MATCH expressions and, for rows the background indexer has not reached yet, to evaluate
 * the same phrase in JavaScript (so search results do not depend on indexing progress).
 */
const TOKEN_RE = /[\p{L}\p{N}\p{Co}]+/gu;

export function ftsTokens(text: string): string[] {
  return text.toLowerCase().match(TOKEN_RE) ?? [];
}

/** FTS5 query string for a phrase: one quoted string (quotes doubled), `*` marks a prefix on the last token. */
export function fts5Phrase(tokens: string[], prefix: boolean): string {
  return `"${tokens.join(' ').replace(/"/g, '""')}"${prefix ? ' *' : ''}`;
}

/** Does `raw` contain the phrase (consecutive tokens, the last one a prefix when `prefix`)? */
export function phraseMatches(raw: string, tokens: string[], prefix: boolean): boolean {
  if (tokens.length === 0) return false;
  const low = raw.toLowerCase();
  for (const t of tokens) if (!low.includes(t)) return false; // cheap rejection
  const rt = low.match(TOKEN_RE);
  if (!rt) return false;
  const last = tokens.length - 1;
  outer: for (let i = 0; i + tokens.length <= rt.length; i++) {
    for (let j = 0; j <= last; j++) {
      const have = rt[i + j];
      const want = tokens[j];
      if (j === last && prefix ? !have.startsWith(want) : have !== want) continue outer;
    }
    return true;
  }
  return false;
}
