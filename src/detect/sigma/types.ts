/**
 * The Sigma rule model (Sigma specification 2.1) as Garrison loads it.
 */
import type { Level } from '../../core/signal.js';
import type { YMap, YValue } from './yaml.js';

export interface LogSource {
  product?: string;
  service?: string;
  category?: string;
  definition?: string;
}

export interface SigmaRule {
  /** `id` of the rule, or a stable hash of file + title when the rule has none. */
  id: string;
  hasId: boolean;
  name?: string;
  title: string;
  status?: string;
  level: Level;
  /** The level as written (undefined when absent: `level` then defaults to medium). */
  levelGiven?: string;
  description?: string;
  author?: string;
  date?: string;
  modified?: string;
  tags: string[];
  references: string[];
  falsepositives: string[];
  related: { id: string; type: string }[];
  /** `fields` list (interesting fields for the analyst). */
  fields: string[];
  logsource: LogSource;
  /** Search identifiers -> their YAML values. */
  searches: Record<string, YValue>;
  /** Conditions (a list is an OR of its items). */
  conditions: string[];
  /** SigmaHQ `regression_tests_path`, when present. */
  regressionTestsPath?: string;
  source: { file: string; line: number };
  lineOf: (path: (string | number)[]) => number | undefined;
  /** The whole document (for tools). */
  doc: YMap;
}

/** A Sigma filter (meta filter) document: adds `and <condition>` to the rules it names. */
export interface SigmaFilter {
  id: string;
  title: string;
  logsource: LogSource;
  /** Rule ids or names the filter applies to. */
  rules: string[];
  searches: Record<string, YValue>;
  condition: string;
  source: { file: string; line: number };
  /** Line of a key path inside the filter document, e.g. ['filter', 'condition'] (optional: filters built in code have none). */
  lineOf?: (path: (string | number)[]) => number | undefined;
}
