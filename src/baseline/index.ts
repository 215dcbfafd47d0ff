/** Public surface of the baseline area. */
export { BaselineStage, SNAPSHOT_FORMAT, SNAPSHOT_VERSION } from './stage.js';
export type { AuditRecord, BaselineSnapshot, FeedbackEntry, StageStats } from './stage.js';
export { baselineConfigSchema, loadBaselineConfigFile, parseBaselineConfig } from './config.js';
export type { BaselineConfig, BaselineConfigInput } from './config.js';
export { MODELS, MODEL_NAMES } from './registry.js';
export type { ModelName } from './registry.js';
export { STATE_KEY, exportFile, importFile, loadFromStore, parseTime, saveToStore, train } from './persist.js';
export type { Anomaly, BaselineModel, EventView, ModelSpec } from './types.js';
export { syncAnalystFeedback } from './feedback.js';
export type { FeedbackSyncOptions, FeedbackSyncResult } from './feedback.js';
