import type { ErrorCodeSpec } from '../../core/errors.js';

/** Error codes of console sign-in, sessions and CSRF protection (src/surface/server/auth.ts). */
export const SESSION_CODES = {
  CSRF_INVALID: { status: 403, summary: 'A state-changing request authenticated by a session cookie lacked a valid X-CSRF-Token header or came from another origin.' },
  LOGIN_FAILED: { status: 401, summary: 'The user name, password or API token given to the login form is wrong (the message never says which).' },
  LOGIN_THROTTLED: { status: 429, summary: 'Too many failed logins from this address or for this user; retry after the indicated delay.' },
  USER_INVALID: { status: 400, summary: 'A local user record or CLI argument is invalid (name, role, password policy); the message names the field.' },
} as const satisfies Record<string, ErrorCodeSpec>;
