/**
 * The response stage: guarded containment. Other stages use createResponder (a VerdictConsumer),
 * the policy loader, and the connector set built from configuration.
 */
export { createResponder, actionId } from './executor.js';
export type { Responder, ResponderOptions, KillSwitchState, ActionQuery, PreviewResult, ResponderLogger } from './executor.js';
export { loadPolicyFile, parsePolicy, checkPolicy, policyLabel, DEFAULT_POLICY_PATH } from './policy/load.js';
export type { Policy } from './policy/load.js';
export { evaluate, protectedBy } from './policy/evaluate.js';
export type { Candidate, Decision } from './policy/evaluate.js';
export { planIncident } from './plan.js';
export { responseContext } from './context.js';
export type { ContextSource } from './context.js';
export { ACTIONS, checkPreconditions, isReversible } from './actions/registry.js';
export { canonicalTarget, targetKey, describeTarget } from './actions/targets.js';
export { connectorSet } from './connectors/port.js';
export type { Connector, ConnectorSet, ConnectorCall, ConnectorHealth } from './connectors/port.js';
export { MemoryConnector } from './connectors/memory/memory.js';
export * from './types.js';
