import type { ErrorCodeSpec } from '../core/errors.js';

/** Error codes of the response stage (actions, policy, connectors, approvals). */
export const RESPOND_CODES = {
  RESPOND_POLICY_INVALID: { status: 400, summary: 'A response policy file failed validation; every problem is listed with file:line.' },
  RESPOND_CONNECTORS_INVALID: { status: 400, summary: 'The connector configuration failed validation; every problem is listed with file:line.' },
  RESPOND_TARGET_INVALID: { status: 400, summary: 'An action target (IP, CIDR, domain, account, host, path) is malformed or not allowed.' },
  RESPOND_PRECONDITION_FAILED: { status: 409, summary: 'An action contract precondition does not hold (e.g. the host has no known address).' },
  RESPOND_NO_CONNECTOR: { status: 409, summary: 'No configured connector can carry out this kind of action.' },
  RESPOND_CONNECTOR_FAILED: { status: 502, summary: 'A connector call failed permanently (rejected request, bad response); not retried.' },
  RESPOND_CONNECTOR_UNAVAILABLE: { status: 503, summary: 'A connector call failed transiently (timeout, connection, 5xx); retried with back-off.' },
  RESPOND_VERIFY_FAILED: { status: 502, summary: 'The state read back after an action (or its rollback) is not the expected one.' },
  RESPOND_STATE_CONFLICT: { status: 409, summary: 'The action is not in a state that allows this operation (e.g. approving an executed action).' },
  RESPOND_APPROVAL_DUPLICATE: { status: 409, summary: 'This person already approved the action; a second approval must come from someone else.' },
  RESPOND_KILL_SWITCH: { status: 423, summary: 'The global kill switch is on: no action is executed until it is turned off.' },
  RESPOND_RATE_LIMITED: { status: 429, summary: 'A policy rate limit or blast-radius cap would be exceeded by executing this action now.' },
  RESPOND_NOT_REVERSIBLE: { status: 409, summary: 'The action cannot be undone (killing a process, sending a notification).' },
  RESPOND_TTL_INVALID: { status: 400, summary: 'A requested time-to-live is not positive or exceeds the policy maximum.' },
} as const satisfies Record<string, ErrorCodeSpec>;
