/**
 * Garrison's one error type and its catalogue of codes.
 *
 * Every failure that crosses a module boundary is a `GarrisonError` with a `code` from the
 * catalogue below. Callers branch on `err.code`, never on message text. Each area owns its
 * own slice of the catalogue (a `*-codes.ts` file beside its code) and the slices are merged
 * here, so adding a code never means editing another area's file.
 */
import { CORE_CODES } from './core-codes.js';
import { INGEST_CODES } from '../ingest/ingest-codes.js';
import { STORE_CODES } from '../store/store-codes.js';
import { SIGMA_CODES } from '../detect/sigma/sigma-codes.js';
import { EVTX_CODES } from '../normalize/evtx/evtx-codes.js';
import { WINDOWS_CODES } from '../normalize/windows/windows-codes.js';
import { SIM_CODES } from '../sim/sim-codes.js';
import { CORRELATION_CODES } from '../detect/sigma/correlation/correlation-codes.js';
import { BASELINE_CODES } from '../baseline/baseline-codes.js';
import { HEC_CODES } from '../ingest/hec/hec-codes.js';
import { SERVER_CODES } from '../surface/server/server-codes.js';
import { PARSE_CODES } from '../normalize/json/parse-codes.js';
import { FILE_CODES } from '../ingest/file/file-codes.js';
import { SYSLOG_CODES } from '../ingest/syslog/syslog-codes.js';
import { APP_CODES } from '../app/app-codes.js';
import { CORRELATE_CODES } from '../correlate/correlate-codes.js';
import { RESPOND_CODES } from '../respond/respond-codes.js';
import { INTEL_CODES } from '../intel/intel-codes.js';
import { INVESTIGATE_CODES } from '../investigate/investigate-codes.js';
import { COVERAGE_CODES } from '../coverage/coverage-codes.js';
import { SESSION_CODES } from '../surface/server/session-codes.js';
import { BUS_CODES } from '../bus/bus-codes.js';

export interface ErrorCodeSpec {
  /** HTTP status used when this error reaches an API client. */
  readonly status: number;
  /** One-line description of what the code means (documentation, not a message template). */
  readonly summary: string;
}

export const ERROR_CODES = {
  ...CORE_CODES,
  ...INGEST_CODES,
  ...STORE_CODES,
  ...SIGMA_CODES,
  ...EVTX_CODES,
  ...WINDOWS_CODES,
  ...SIM_CODES,
  ...CORRELATION_CODES,
  ...BASELINE_CODES,
  ...HEC_CODES,
  ...SERVER_CODES,
  ...PARSE_CODES,
  ...FILE_CODES,
  ...SYSLOG_CODES,
  ...APP_CODES,
  ...CORRELATE_CODES,
  ...RESPOND_CODES,
  ...INTEL_CODES,
  ...INVESTIGATE_CODES,
  ...COVERAGE_CODES,
  ...SESSION_CODES,
  ...BUS_CODES,
} as const satisfies Record<string, ErrorCodeSpec>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Where in an input a problem was found: file/line for text, offset for binary, index for batches. */
export interface ErrorLocation {
  file?: string;
  line?: number;
  column?: number;
  offset?: number;
  index?: number;
  chunk?: number;
  record?: number;
  field?: string;
}

export class GarrisonError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly location?: ErrorLocation;
  readonly details?: Record<string, unknown>;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { location?: ErrorLocation; details?: Record<string, unknown>; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'GarrisonError';
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.location = opts.location;
    this.details = opts.details;
  }

  /** Plain JSON form used by the API and `--json` outputs. */
  toJSON(): { code: ErrorCode; message: string; location?: ErrorLocation; details?: Record<string, unknown> } {
    return { code: this.code, message: this.message, location: this.location, details: this.details };
  }
}

export function isGarrisonError(e: unknown, code?: ErrorCode): e is GarrisonError {
  return e instanceof GarrisonError && (code === undefined || e.code === code);
}

/** Wraps any thrown value into a GarrisonError (INTERNAL unless it already is one). */
export function toGarrisonError(e: unknown): GarrisonError {
  if (e instanceof GarrisonError) return e;
  const msg = e instanceof Error ? e.message : String(e);
  return new GarrisonError('INTERNAL', msg, { cause: e });
}

/**
 * Collects problems instead of stopping at the first one (config and rule loading).
 */
export class ProblemList {
  readonly problems: GarrisonError[] = [];
  add(e: GarrisonError): void {
    this.problems.push(e);
  }
  get ok(): boolean {
    return this.problems.length === 0;
  }
  /** Human-readable, one problem per line: `file:line: CODE message`. */
  format(): string {
    return this.problems
      .map((p) => {
        const loc = p.location;
        const where = loc?.file ? `${loc.file}${loc.line ? `:${loc.line}` : ''}: ` : '';
        return `${where}${p.code} ${p.message}`;
      })
      .join('\n');
  }
}
