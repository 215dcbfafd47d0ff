/**
 * Command-line "shape": a short, stable abstraction of a command line that keeps what an analyst
 * would compare (switches, kinds of arguments) and drops what varies (paths, numbers, payloads).
 *   powershell.exe -nop -w hidden -enc SQBFAFgA…  →  powershell.exe -nop -w hidden -enc B64
 * Written as one linear pass over at most `maxChars` characters: no regular expressions.
 */
import { basename } from '../../util.js';

const MAX_TOKENS = 12;

function isB64ish(t: string): boolean {
  if (t.length < 20) return false;
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    const ok =
      (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 43 || c === 47 || c === 61 || c === 95 || c === 45;
    if (!ok) return false;
  }
  return true;
}

function isNumber(t: string): boolean {
  if (t.length === 0) return false;
  for (let i = 0; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || c === 46 || c === 120 || (c >= 97 && c <= 102))) return false;
  }
  const c0 = t.charCodeAt(0);
  return c0 >= 48 && c0 <= 57;
}

function extOf(t: string): string {
  const b = basename(t);
  const dot = b.lastIndexOf('.');
  if (dot <= 0 || b.length - dot > 6) return '';
  return b.slice(dot).replace(/[^a-z0-9.]/g, '');
}

function classify(tok: string, quoted: boolean): string {
  if (tok.includes('://')) return 'URL';
  if ((tok[0] === '-' || tok[0] === '/') && tok.length <= 40 && !tok.includes('\\') && tok.indexOf('/', 1) < 0) {
    const colon = tok.indexOf(':');
    return colon > 0 ? tok.slice(0, colon) + ':V' : tok;
  }
  if (tok.includes('\\') || tok.includes('/')) return 'PATH' + extOf(tok.split(',')[0]);
  if (isNumber(tok)) return 'N';
  if (isB64ish(tok)) return 'B64';
  if (quoted) return 'STR';
  if (tok.length > 24) return 'W';
  const e = extOf(tok);
  if (e && tok.length > e.length + 1) return 'FILE' + e;
  return tok;
}

export function commandShape(commandLine: string, maxChars = 4096): string {
  const s = commandLine.slice(0, maxChars).toLowerCase();
  const out: string[] = [];
  let i = 0;
  let first = true;
  while (i < s.length && out.length < MAX_TOKENS) {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t' || s[i] === '\n' || s[i] === '\r')) i++;
    if (i >= s.length) break;
    let tok: string;
    let quoted = false;
    if (s[i] === '"' || s[i] === "'") {
      const q = s[i];
      const end = s.indexOf(q, i + 1);
      tok = s.slice(i + 1, end < 0 ? s.length : end);
      i = end < 0 ? s.length : end + 1;
      quoted = true;
    } else {
      const start = i;
      while (i < s.length && s[i] !== ' ' && s[i] !== '\t' && s[i] !== '\n' && s[i] !== '\r') i++;
      tok = s.slice(start, i);
    }
    if (first) {
      out.push(basename(tok));
      first = false;
    } else out.push(classify(tok, quoted));
  }
  return out.join(' ');
}
