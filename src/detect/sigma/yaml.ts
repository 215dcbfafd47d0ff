/**
 * YAML reading for Sigma: every scalar keeps its literal text (`0x1F`, `010`, `1.10` stay strings),
 * plain empty / `null` / `~` scalars become `null`, and the line of every mapping key and sequence
 * item is remembered so problems can name `file:line`.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node } from 'yaml';
import { GarrisonError } from '../../core/errors.js';

/** A YAML value as Sigma sees it: strings (literal text), null, lists and maps. */
export type YValue = string | null | YValue[] | YMap;
export interface YMap {
  [key: string]: YValue;
}

export interface YDoc {
  /** The document content (null for an empty document). */
  value: YValue;
  /** Line (1-based) where the document starts. */
  line: number;
  /** Line of a key path inside the document, e.g. ['detection', 'selection', 'Image|endswith']. */
  lineOf(path: (string | number)[]): number | undefined;
}

const MAX_DEPTH = 64;
/**
 * Most nodes one document may produce through aliases (`*a`). Nodes written out are bounded by the
 * file size limit; aliases can multiply them ("billion laughs": 9 levels of 9 aliases = 387 M nodes
 * from 500 bytes). The largest SigmaHQ rule has ~4,500 nodes in all.
 */
export const MAX_YAML_ALIAS_NODES = 100_000;

class BudgetError extends Error {}

/** Parses a (multi-document) YAML text. Problems are returned, never thrown. */
export function readYamlDocs(text: string, file: string): { docs: YDoc[]; problems: GarrisonError[] } {
  const lc = new LineCounter();
  const problems: GarrisonError[] = [];
  const docs: YDoc[] = [];
  let parsed: Document.Parsed[];
  try {
    parsed = parseAllDocuments(text, { lineCounter: lc, uniqueKeys: true }) as Document.Parsed[];
  } catch (e) {
    problems.push(new GarrisonError('SIGMA_YAML_INVALID', `YAML: ${(e as Error).message}`, { location: { file } }));
    return { docs, problems };
  }
  if (!Array.isArray(parsed)) parsed = [parsed as unknown as Document.Parsed];
  for (const doc of parsed) {
    if (doc.errors.length > 0) {
      for (const err of doc.errors) {
        const line = err.linePos?.[0]?.line ?? (err.pos ? lc.linePos(err.pos[0]).line : undefined);
        problems.push(new GarrisonError('SIGMA_YAML_INVALID', `YAML: ${err.message.split('\n')[0]}`, { location: { file, line } }));
      }
      continue;
    }
    const lines = new Map<string, number>();
    const startLine = doc.contents?.range ? lc.linePos(doc.contents.range[0]).line : doc.range ? lc.linePos(doc.range[0]).line : 1;
    try {
      const value = convert(doc, doc.contents as Node | null, [], lines, lc, 0, { nodes: 0 }, false);
      docs.push({
        value,
        line: startLine,
        lineOf: (path) => {
          for (let n = path.length; n > 0; n--) {
            const l = lines.get(path.slice(0, n).join('\u0000'));
            if (l !== undefined) return l;
          }
          return startLine;
        },
      });
    } catch (e) {
      problems.push(
        e instanceof GarrisonError
          ? e
          : new GarrisonError('SIGMA_YAML_INVALID', e instanceof BudgetError ? `YAML: ${e.message}` : `YAML: ${(e as Error).message}`, { location: { file, line: startLine } }),
      );
    }
  }
  return { docs, problems };
}

function convert(doc: Document.Parsed, node: Node | null | undefined, path: (string | number)[], lines: Map<string, number>, lc: LineCounter, depth: number, budget: { nodes: number }, aliased: boolean): YValue {
  if (depth > MAX_DEPTH) throw new BudgetError(`nesting deeper than ${MAX_DEPTH} levels`);
  if (aliased && ++budget.nodes > MAX_YAML_ALIAS_NODES) throw new BudgetError(`aliases expand to more than ${MAX_YAML_ALIAS_NODES} nodes (alias bomb?)`);
  if (node === null || node === undefined) return null;
  if (isAlias(node)) return convert(doc, node.resolve(doc) as Node | undefined, path, lines, lc, depth + 1, budget, true);
  if (isScalar(node)) {
    if (node.value === null && node.type === 'PLAIN') return null;
    if (node.type === 'PLAIN' || node.type === undefined) {
      if (typeof node.source === 'string') return node.source;
    }
    if (typeof node.value === 'string') return node.value;
    if (typeof node.source === 'string') return node.source;
    return String(node.value);
  }
  if (isSeq(node)) {
    const out: YValue[] = [];
    node.items.forEach((item, i) => {
      const p = [...path, i];
      const it = item as Node;
      if (!aliased && it && it.range) lines.set(p.join('\u0000'), lc.linePos(it.range[0]).line);
      out.push(convert(doc, it, p, lines, lc, depth + 1, budget, aliased));
    });
    return out;
  }
  if (isMap(node)) {
    const out: YMap = Object.create(null);
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const kv = convert(doc, pair.key as Node, path, new Map(), lc, depth + 1, budget, aliased);
      const key = kv === null ? '' : typeof kv === 'string' ? kv : JSON.stringify(kv);
      const p = [...path, key];
      const kn = pair.key as Node | null;
      if (!aliased && kn && kn.range) lines.set(p.join('\u0000'), lc.linePos(kn.range[0]).line);
      out[key] = convert(doc, pair.value as Node | null, p, lines, lc, depth + 1, budget, aliased);
    }
    return out;
  }
  throw new Error('unsupported YAML node');
}

export function isYMap(v: YValue | undefined): v is YMap {
  return v !== null && v !== undefined && typeof v === 'object' && !Array.isArray(v);
}
