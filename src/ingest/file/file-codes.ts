import type { ErrorCodeSpec } from '../../core/errors.js';

/** Error codes of file ingest (`garrison ingest`). */
export const FILE_CODES = {
  FILE_NOT_FOUND: { status: 404, summary: 'A path given to `garrison ingest` does not exist or cannot be read.' },
  FILE_READ_FAILED: { status: 500, summary: 'Reading a file failed part-way (I/O error, corrupt gzip); records read before the failure are kept.' },
  FILE_FORMAT_UNKNOWN: { status: 400, summary: 'The format of a file could not be detected from its first bytes; name it with --format.' },
  FILE_FORMAT_UNSUPPORTED: { status: 400, summary: 'The file is in a format this build cannot read yet (e.g. EVTX before its reader is wired).' },
  FILE_RECORD_TOO_LARGE: { status: 413, summary: 'A line or JSON element exceeds the per-record size limit; it is skipped without buffering it.' },
  FILE_BAD_UTF8: { status: 400, summary: 'A line or JSON element contains bytes that are not valid UTF-8; it is rejected, the rest of the file goes on.' },
  FILE_JSON_INVALID: { status: 400, summary: 'The JSON structure of a file (array or concatenated objects) is broken at the given line.' },
  FILE_TOO_LARGE: { status: 413, summary: 'A file that must be parsed whole (CloudTrail) exceeds the size cap.' },
} as const satisfies Record<string, ErrorCodeSpec>;
