/**
 * MITRE ATT&CK Enterprise v18.1 (compact copy in enterprise-attack-v18.json; see its `source`
 * attribution line) and the mapping of Sigma tags onto tactic and technique ids.
 */
import { readFileSync } from 'node:fs';
import type { AttackRef } from '../../core/signal.js';

interface AttackData {
  source: string;
  tactics: [id: string, shortname: string, name: string][];
  techniques: [id: string, name: string, tactics: string[]][];
}

let data: { tacticByShort: Map<string, string>; tacticIds: Set<string>; techniques: Map<string, { name: string; tactics: string[] }>; source: string } | undefined;

/** Tactic names SigmaHQ uses from ATT&CK v19 that v18 does not have, mapped onto v18 ids. */
export const V19_TACTIC_ALIASES: Record<string, string> = {
  stealth: 'TA0005',
  'defense-impairment': 'TA0005',
};

function load() {
  if (data) return data;
  const raw = JSON.parse(readFileSync(new URL('./enterprise-attack-v18.json', import.meta.url), 'utf8')) as AttackData;
  data = {
    source: raw.source,
    tacticByShort: new Map(raw.tactics.map(([id, short]) => [short, id])),
    tacticIds: new Set(raw.tactics.map(([id]) => id)),
    techniques: new Map(raw.techniques.map(([id, name, tactics]) => [id, { name, tactics }])),
  };
  return data;
}

/** The attribution line of the shipped ATT&CK data. */
export function attackSource(): string {
  return load().source;
}

/** Technique name (T1059.001 ...) or undefined. */
export function techniqueName(id: string): string | undefined {
  return load().techniques.get(id.toUpperCase())?.name;
}

/**
 * Splits Sigma tags into ATT&CK tactic ids and technique ids: `attack.execution` -> TA0002,
 * `attack.stealth` / `attack.defense-impairment` -> TA0005, `attack.t1059.001` -> T1059.001.
 * Unknown names are ignored; tags outside the `attack.` namespace are ignored.
 */
export function attackFromTags(tags: readonly string[]): AttackRef {
  const d = load();
  const tactics = new Set<string>();
  const techniques = new Set<string>();
  for (const tag of tags) {
    const t = tag.toLowerCase();
    if (!t.startsWith('attack.')) continue;
    const rest = t.slice(7).replace(/_/g, '-');
    if (/^t\d{4}(\.\d{3})?$/.test(rest)) {
      techniques.add(rest.toUpperCase());
      continue;
    }
    if (/^ta\d{4}$/.test(rest)) {
      if (d.tacticIds.has(rest.toUpperCase())) tactics.add(rest.toUpperCase());
      continue;
    }
    const id = d.tacticByShort.get(rest) ?? V19_TACTIC_ALIASES[rest];
    if (id) tactics.add(id);
  }
  return { tactics: [...tactics].sort(), techniques: [...techniques].sort() };
}
