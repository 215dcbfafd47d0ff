/** Every investigation step type, by name. Adding a step type = one module + one line here. */
import type { StepModule } from '../types.js';
import { analystHistoryStep } from './analyst-history.js';
import { assetIdentityStep } from './asset-identity.js';
import { hostActivityStep } from './host-activity.js';
import { incidentSignalsStep } from './incident-signals.js';
import { intelLookupStep } from './intel-lookup.js';
import { prevalenceStep } from './prevalence.js';
import { processTreeStep } from './process-tree.js';
import { spreadStep } from './spread.js';
import { userAuthStep } from './user-auth.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const STEP_TYPES: Record<string, StepModule<any>> = {
  incident_signals: incidentSignalsStep,
  process_tree: processTreeStep,
  host_activity: hostActivityStep,
  user_auth: userAuthStep,
  spread: spreadStep,
  prevalence: prevalenceStep,
  intel_lookup: intelLookupStep,
  asset_identity: assetIdentityStep,
  analyst_history: analystHistoryStep,
};
