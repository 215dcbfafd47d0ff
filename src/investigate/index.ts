/** Public surface of the investigation area (docs/investigation.md). */
export { createInvestigator, inputHashOf, type Investigator, type InvestigatorOptions, type InvestigatorConfig, type InvestigationResult } from './engine.js';
export type { EvidenceItem, EvidenceQuery, StepRecord, Ledger, InvestigationDoc, Narrative, ContextLookup, BaselineLookup, StepModule, StepContext } from './types.js';
export { loadPlan, parsePlanText, stepApplies, DEFAULT_PLAN_FILE, type Plan, type PlanStep } from './plan.js';
export { STEP_TYPES } from './steps/registry.js';
export { judge, closeReason, type ScoredVerdict } from './verdict/model.js';
export { loadVerdictConfig, parseVerdictConfigText, verdictConfig, DEFAULT_WEIGHTS_FILE, type VerdictConfig } from './verdict/config.js';
export { recordFeedback, FeedbackInputSchema, type FeedbackDoc } from './feedback.js';
export { llmNarrative, LlmConfigSchema, checkText, type LlmConfig } from './narrative/llm.js';
export { templateNarrative } from './narrative/template.js';
export { InvestigationService } from './service.js';
