import type { ErrorCodeSpec } from '../core/errors.js';

/** Error codes of the investigation area (src/investigate). */
export const INVESTIGATE_CODES = {
  INVESTIGATE_PLAN_INVALID: { status: 400, summary: 'An investigation plan file failed validation; every problem is listed with file:line.' },
  INVESTIGATE_CONFIG_INVALID: { status: 400, summary: 'The verdict weights or investigator configuration failed validation; every problem is listed with file:line.' },
  INVESTIGATE_NOT_FOUND: { status: 404, summary: 'The incident, investigation or evidence item does not exist.' },
  INVESTIGATE_STEP_FAILED: { status: 500, summary: 'An investigation step failed or timed out; the ledger records it and the investigation goes on.' },
  INVESTIGATE_LLM_FAILED: { status: 502, summary: 'The optional LLM narrative service failed, timed out or answered garbage; the template narrative is used.' },
  INVESTIGATE_FEEDBACK_INVALID: { status: 400, summary: 'Analyst feedback is malformed (verdict, label or note missing or too long).' },
} as const satisfies Record<string, ErrorCodeSpec>;
