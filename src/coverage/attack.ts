/**
 * The ATT&CK catalogue as coverage needs it: every tactic and technique of the copy Garrison ships
 * in src/detect/attack/enterprise-attack-v18.json (MITRE ATT&CK Enterprise v18.1; its `source`
 * attribution line travels with every report and Navigator layer).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { attackSource } from '../detect/attack/index.js';
import { packageRoot } from '../detect/pipelines/index.js';

export interface Tactic {
  id: string;
  shortname: string;
  name: string;
}

export interface Technique {
  id: string;
  name: string;
  /** Tactic shortnames (`defense-evasion` ...), as the Navigator expects. */
  tactics: string[];
  /** Parent technique id for a sub-technique. */
  parent?: string;
}

export interface AttackCatalogue {
  source: string;
  version: string;
  tactics: Tactic[];
  techniques: Technique[];
  byId: Map<string, Technique>;
  tacticByShort: Map<string, Tactic>;
}

let cache: AttackCatalogue | undefined;

/** Loads (once) the shipped ATT&CK table. */
export function attackCatalogue(): AttackCatalogue {
  if (cache) return cache;
  const raw = JSON.parse(readFileSync(join(packageRoot(), 'src', 'detect', 'attack', 'enterprise-attack-v18.json'), 'utf8')) as {
    tactics: [string, string, string][];
    techniques: [string, string, string[]][];
  };
  const tactics = raw.tactics.map(([id, shortname, name]) => ({ id, shortname, name }));
  const techniques = raw.techniques.map(([id, name, tacs]) => ({ id, name, tactics: [...tacs], parent: id.includes('.') ? id.split('.')[0] : undefined }));
  const source = attackSource();
  const m = /ATT&CK v(\d+(?:\.\d+)?)/.exec(source);
  cache = {
    source,
    version: m ? m[1] : '18.1',
    tactics,
    techniques,
    byId: new Map(techniques.map((t) => [t.id, t])),
    tacticByShort: new Map(tactics.map((t) => [t.shortname, t])),
  };
  return cache;
}

/** Normalizes a technique id (`t1059.001` -> `T1059.001`); undefined when it is not one. */
export function normalizeTechniqueId(s: string): string | undefined {
  const t = s.trim().toUpperCase();
  return /^T\d{4}(\.\d{3})?$/.test(t) ? t : undefined;
}
