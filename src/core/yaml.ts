/**
 * Small helpers for YAML files that Garrison validates (plans, policies, connectors, the simulated
 * organization, correlation config and context): map a path inside the document to its line, so
 * every problem can say file:line.
 */
import type { LineCounter, parseDocument } from 'yaml';

export type YamlDoc = ReturnType<typeof parseDocument>;

/** Line (1-based) of the deepest existing node on `path`, falling back to its parents, then the document. */
export function yamlLineOf(doc: YamlDoc, lc: LineCounter, path: readonly (string | number)[]): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
    if (range) return lc.linePos(range[0]).line;
  }
  return undefined;
}
