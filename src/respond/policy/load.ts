/**
 * Loads a response policy: YAML → zod → semantic checks, collecting every problem with file:line
 * (RESPOND_POLICY_INVALID lists them all). A loaded policy carries the SHA-256 of its text: each
 * action records the policy name, version label, hash and the rule that decided it.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LineCounter, parseDocument } from 'yaml';
import { GarrisonError, ProblemList } from '../../core/errors.js';
import { PolicySchema, type PolicyFile } from './schema.js';
import { yamlLineOf as lineOf } from '../../core/yaml.js';

export interface Policy extends PolicyFile {
  /** sha256 of the policy text (line endings normalised). */
  hash: string;
  /** Where it came from ('<inline>' for text). */
  file: string;
  /** Line of each rule in the file (for explanations). */
  ruleLines: Record<string, number>;
}

/**
 * The shipped default policy. From source (tsx) and from the build (dist/respond/policy/) alike the
 * file is three levels up in config/.
 */
export const DEFAULT_POLICY_PATH = fileURLToPath(new URL('../../../config/policy.default.yaml', import.meta.url));

export function loadPolicyFile(path: string = DEFAULT_POLICY_PATH): Policy {
  if (!existsSync(path)) throw new GarrisonError('RESPOND_POLICY_INVALID', `policy file ${path} does not exist`, { location: { file: path } });
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new GarrisonError('RESPOND_POLICY_INVALID', `cannot read policy file ${path}: ${(e as Error).message}`, { location: { file: path }, cause: e });
  }
  return parsePolicy(text, path);
}



/** Validates policy text; returns the problems instead of throwing (for `garrison policy validate`). */
export function checkPolicy(text: string, file = '<inline>'): { policy?: Policy; problems: ProblemList } {
  const problems = new ProblemList();
  if (text.length > 1024 * 1024) {
    problems.add(new GarrisonError('RESPOND_POLICY_INVALID', 'the policy is larger than 1 MiB', { location: { file } }));
    return { problems };
  }
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  for (const err of doc.errors) {
    const pos = lc.linePos(err.pos[0]);
    problems.add(new GarrisonError('RESPOND_POLICY_INVALID', `YAML: ${err.message.split('\n')[0]}`, { location: { file, line: pos.line, column: pos.col } }));
  }
  if (!problems.ok) return { problems };
  const add = (path: (string | number)[], msg: string): void =>
    problems.add(new GarrisonError('RESPOND_POLICY_INVALID', `${path.join('.') || '(root)'}: ${msg}`, { location: { file, line: lineOf(doc, lc, path), field: path.join('.') } }));
  const res = PolicySchema.safeParse(doc.toJS({ maxAliasCount: 100 }));
  if (!res.success) {
    for (const issue of res.error.issues) add(issue.path.filter((x): x is string | number => typeof x !== 'symbol'), issue.message);
    return { problems };
  }
  const p = res.data;
  if (p.ttl.default > p.ttl.max) add(['ttl', 'default'], 'the default TTL is longer than ttl.max');
  const seen = new Map<string, number>();
  let catchAll: string | undefined;
  p.rules.forEach((r, i) => {
    if (seen.has(r.id)) add(['rules', i, 'id'], `duplicate rule id '${r.id}' (first at rules.${seen.get(r.id)})`);
    seen.set(r.id, i);
    if (r.approvals !== undefined && r.mode !== 'approval') add(['rules', i, 'approvals'], `approvals is only meaningful with mode approval (mode is ${r.mode})`);
    if (r.ttl !== undefined && r.ttl > p.ttl.max) add(['rules', i, 'ttl'], 'the rule TTL is longer than ttl.max');
    const m = r.match;
    if (m.minConfidence !== undefined && m.maxConfidence !== undefined && m.minConfidence >= m.maxConfidence) add(['rules', i, 'match'], 'minConfidence must be below maxConfidence');
    if (catchAll) add(['rules', i], `rule '${r.id}' can never match: rule '${catchAll}' before it matches every action`);
    if (Object.keys(m).length === 0 && !catchAll) catchAll = r.id;
  });
  p.limits.forEach((l, i) => {
    if (l.per > 31 * 86_400_000) add(['limits', i, 'per'], 'a rate-limit window is at most 31 days');
  });
  if (!problems.ok) return { problems };
  const ruleLines: Record<string, number> = {};
  p.rules.forEach((r, i) => {
    ruleLines[r.id] = lineOf(doc, lc, ['rules', i]) ?? 0;
  });
  const hash = createHash('sha256').update(text.replace(/\r\n/g, '\n'), 'utf8').digest('hex');
  return { policy: { ...p, hash, file, ruleLines }, problems };
}

/** Parses and validates policy text; throws RESPOND_POLICY_INVALID listing every problem. */
export function parsePolicy(text: string, file = '<inline>'): Policy {
  const { policy, problems } = checkPolicy(text, file);
  if (policy) return policy;
  throw new GarrisonError('RESPOND_POLICY_INVALID', `the policy has ${problems.problems.length} problem(s):\n${problems.format()}`, {
    location: { file, line: problems.problems[0]?.location?.line },
    details: { problems: problems.problems.map((x) => x.toJSON()) },
  });
}

/** A short identifier for logs and records: `name@version#hash12`. */
export function policyLabel(p: Policy): string {
  return `${p.name}@${p.version}#${p.hash.slice(0, 12)}`;
}
