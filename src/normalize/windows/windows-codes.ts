import type { ErrorCodeSpec } from '../../core/errors.js';

/** Error codes of the Windows normalization (src/normalize/windows). */
export const WINDOWS_CODES = {
  WINDOWS_BAD_XML: { status: 400, summary: 'A Windows event given as XML text is malformed (offset in the location).' },
  WINDOWS_NOT_WINDOWS: { status: 400, summary: 'The record is not a Windows event in a supported JSON or XML form.' },
} as const satisfies Record<string, ErrorCodeSpec>;
