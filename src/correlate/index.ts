/** Public surface of the correlation area (src/correlate): see docs/correlation.md. */
export { createCorrelator, liveCorrelator } from './correlator.js';
export type { Correlator, CorrelatorOptions, CorrelatorStats } from './correlator.js';
export { correlationConfigSchema, loadCorrelationConfigFile, parseCorrelationConfig, KEY_KINDS } from './config.js';
export type { CorrelationConfig, CorrelationConfigInput, KeyKind } from './config.js';
export { ContextIndex, contextFromData, contextFromOrg, loadContextFiles, accountName } from './context.js';
export type { Asset, AssetInfo, ContextFile, Criticality, Identity, IdentityInfo } from './context.js';
export { IdentityGraph, isNonPerson } from './identity.js';
export type { Lease, LogonSession, ProcInfo } from './identity.js';
export { IncidentsService, summarize } from './service.js';
export type { IncidentDetail, IncidentFilter, IncidentSummary } from './service.js';
export { buildStory, levelFromScore, tacticName, tacticProgression, TACTICS } from './story.js';
export type { SigRec, Story } from './story.js';
