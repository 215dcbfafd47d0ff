/**
 * What each behavioural-baseline model (src/baseline/registry.ts) can detect and the telemetry it
 * needs. The models tag their anomalies with ATT&CK ids in code; this is the declaration coverage
 * reads, one entry per model of the registry (typed: adding a model without declaring it here is a
 * type error). Keep it in step with the `attack(...)` calls in src/baseline/models/*.
 */
import type { ModelName } from '../baseline/registry.js';
import type { EnvelopeMatch } from './datasources.js';

export interface ModelCoverageEntry {
  /** Techniques the model signals from this telemetry. */
  techniques: string[];
  /** The telemetry (any of these) the model reads for them. */
  needs: { label: string; match: EnvelopeMatch }[];
}

export interface ModelCoverage {
  description: string;
  entries: ModelCoverageEntry[];
}

const PROC = { label: 'process creation events', match: { class: ['process_activity' as const], category: ['process_creation'] } };
const AUTH = { label: 'authentication events (logons, sign-ins)', match: { class: ['authentication' as const] } };
const CLOUD = { label: 'cloud API activity (CloudTrail and similar)', match: { class: ['api_activity' as const] } };
const NET = { label: 'network flows or web traffic', match: { class: ['network_activity' as const] } };
const HTTP = { label: 'web traffic', match: { class: ['http_activity' as const] } };
const DNS = { label: 'DNS queries', match: { class: ['dns_activity' as const] } };

export const MODEL_COVERAGE: Record<ModelName, ModelCoverage> = {
  rarity: {
    description: 'first-seen and rare processes, parent/child pairs, logons, services, tasks, admin-group members and cloud identities',
    entries: [
      { techniques: ['T1059.001', 'T1059.003', 'T1059.005', 'T1047', 'T1105', 'T1140', 'T1197', 'T1053.005', 'T1543.003', 'T1490', 'T1070.001', 'T1003.003', 'T1482', 'T1087', 'T1218'], needs: [PROC] },
      { techniques: ['T1078', 'T1021'], needs: [AUTH] },
      { techniques: ['T1543.003'], needs: [{ label: 'service installation events', match: { eventCode: ['7045', '4697'] } }] },
      { techniques: ['T1053.005'], needs: [{ label: 'scheduled-task events', match: { eventCode: ['4698'] } }] },
      { techniques: ['T1098'], needs: [{ label: 'admin group membership events', match: { eventCode: ['4732', '4728', '4756'] } }] },
      { techniques: ['T1078.004', 'T1530'], needs: [CLOUD] },
    ],
  },
  peer: {
    description: 'a user or host compared with its peer group',
    entries: [
      { techniques: ['T1021', 'T1078'], needs: [AUTH] },
      { techniques: ['T1078.004'], needs: [CLOUD] },
    ],
  },
  time: {
    description: 'activity at hours unusual for the person',
    entries: [{ techniques: ['T1078'], needs: [AUTH, CLOUD, PROC] }],
  },
  volume: {
    description: 'bytes out and file or API operations against a seasonal baseline',
    entries: [
      { techniques: ['T1041', 'T1048'], needs: [NET, HTTP] },
      { techniques: ['T1005'], needs: [{ label: 'file events', match: { class: ['file_activity'] } }] },
      { techniques: ['T1530', 'T1619'], needs: [CLOUD] },
    ],
  },
  beaconing: {
    description: 'periodic connections (interval and size regularity)',
    entries: [{ techniques: ['T1071', 'T1071.001', 'T1573', 'T1095'], needs: [NET, HTTP] }],
  },
  dns: {
    description: 'generated-looking domains and DNS tunnelling',
    entries: [{ techniques: ['T1071.004', 'T1048', 'T1568.002'], needs: [DNS] }],
  },
  auth: {
    description: 'brute force, password spraying, success after failures, impossible travel',
    entries: [{ techniques: ['T1110', 'T1110.001', 'T1110.003', 'T1078'], needs: [AUTH] }],
  },
};
