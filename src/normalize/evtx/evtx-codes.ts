import type { ErrorCodeSpec } from '../../core/errors.js';

/** Error codes of the EVTX reader (src/normalize/evtx). */
export const EVTX_CODES = {
  EVTX_BAD_FILE_HEADER: { status: 400, summary: 'The file does not start with a valid EVTX file header.' },
  EVTX_FILE_HEADER_CRC: { status: 400, summary: 'The EVTX file header checksum does not match (the header is still used).' },
  EVTX_BAD_CHUNK: { status: 400, summary: 'An EVTX chunk has a bad signature or header (free-space offset) and was skipped.' },
  EVTX_CHUNK_CRC: { status: 400, summary: 'An EVTX chunk header or record-data checksum does not match; the chunk was skipped (unless salvage mode reads the records that validate on their own).' },
  EVTX_TRUNCATED: { status: 400, summary: 'The EVTX file ends inside its header or a chunk, or holds fewer chunks than its header declares; an incomplete chunk was skipped.' },
  EVTX_BAD_RECORD: { status: 400, summary: 'An EVTX record has a bad header or size and was skipped.' },
  EVTX_BAD_BINXML: { status: 400, summary: 'The binary XML of an EVTX record is malformed; the record was skipped.' },
  EVTX_BAD_FORMAT_OPTION: { status: 400, summary: 'An unknown output format was asked of `garrison evtx dump`.' },
  EVTX_IO: { status: 500, summary: 'Reading an EVTX file or folder failed.' },
} as const satisfies Record<string, ErrorCodeSpec>;
