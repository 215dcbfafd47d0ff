/**
 * CSV indicator lists. The first line is a header naming the columns (any order, case-insensitive):
 *
 *   value (required; also: indicator, ioc)   type (ipv4, ipv6, cidr, ip, domain, url, md5, sha1, sha256; guessed when absent or empty)
 *   confidence (0..100)   valid_from   valid_until (ISO 8601 or epoch)   tags (separated by ; or |)   source   description
 *
 * RFC 4180 quoting ("a ""b"", c"). Lines starting with # are comments. Bad rows are reported with
 * file:line and skipped; the rest loads.
 */
import { GarrisonError } from '../core/errors.js';
import { DEFAULT_FEED_LIMITS, INDICATOR_TYPES, type FeedLimits, type FeedLoad, type FeedProblem, type Indicator, type IndicatorType } from './types.js';
import { makeIndicator, parseTime } from './values.js';

/** Splits CSV text into rows of fields with the 1-based line each row starts on. Linear time. */
export function parseCsv(text: string, maxFields = 64): { line: number; fields: string[] }[] {
  const rows: { line: number; fields: string[] }[] = [];
  let i = 0;
  let line = 1;
  const n = text.length;
  while (i < n) {
    const start = line;
    const fields: string[] = [];
    let field = '';
    let quoted = false;
    let atStart = true;
    for (;;) {
      if (i >= n) {
        fields.push(field);
        break;
      }
      const c = text[i];
      if (quoted) {
        if (c === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
          } else {
            quoted = false;
            i++;
          }
        } else {
          if (c === '\n') line++;
          field += c;
          i++;
        }
        continue;
      }
      if (c === '"' && atStart) {
        quoted = true;
        atStart = false;
        i++;
        continue;
      }
      if (c === ',') {
        if (fields.length < maxFields) fields.push(field);
        field = '';
        atStart = true;
        i++;
        continue;
      }
      if (c === '\r' && text[i + 1] === '\n') i++;
      if (c === '\n' || c === '\r') {
        fields.push(field);
        i++;
        line++;
        break;
      }
      field += c;
      atStart = false;
      i++;
    }
    if (fields.length === 1 && fields[0].trim() === '') continue;
    rows.push({ line: start, fields });
  }
  return rows;
}

const ALIASES: Record<string, string> = { indicator: 'value', ioc: 'value', value: 'value', type: 'type', confidence: 'confidence', valid_from: 'valid_from', valid_until: 'valid_until', expires: 'valid_until', tags: 'tags', source: 'source', description: 'description', comment: 'description' };

export function loadCsvIndicators(text: string, source: string, limits: Partial<FeedLimits> = {}): FeedLoad {
  const lim = { ...DEFAULT_FEED_LIMITS, ...limits };
  if (text.length > lim.maxBytes) throw new GarrisonError('INTEL_TOO_LARGE', `${source}: larger than ${lim.maxBytes} bytes`, { location: { file: source } });
  const rows = parseCsv(text).filter((r) => !(r.fields[0] ?? '').trimStart().startsWith('#'));
  if (rows.length === 0) throw new GarrisonError('INTEL_FEED_INVALID', `${source}: empty CSV`, { location: { file: source } });
  const header = rows[0].fields.map((h) => ALIASES[h.trim().toLowerCase()] ?? '');
  const col = (name: string) => header.indexOf(name);
  if (col('value') < 0) {
    throw new GarrisonError('INTEL_FEED_INVALID', `${source}:${rows[0].line}: the header must name a 'value' column (got ${rows[0].fields.map((f) => f.slice(0, 30)).join(', ')})`, { location: { file: source, line: rows[0].line } });
  }
  const problems: FeedProblem[] = [];
  const indicators: Indicator[] = [];
  const get = (r: string[], name: string) => (col(name) >= 0 ? (r[col(name)] ?? '').trim() : '');
  for (const { line, fields } of rows.slice(1)) {
    const where = `${source}:${line}`;
    const value = get(fields, 'value');
    let typeS = get(fields, 'type').toLowerCase();
    if (typeS === 'ip') typeS = '';
    if (typeS && !INDICATOR_TYPES.includes(typeS as IndicatorType)) {
      if (problems.length < lim.maxProblems) problems.push({ where, code: 'INTEL_FEED_INVALID', message: `unknown type ${JSON.stringify(typeS.slice(0, 30))}` });
      continue;
    }
    const confS = get(fields, 'confidence');
    const conf = confS === '' ? undefined : Number(confS);
    if (conf !== undefined && !(Number.isFinite(conf) && conf >= 0 && conf <= 100)) {
      if (problems.length < lim.maxProblems) problems.push({ where, code: 'INTEL_FEED_INVALID', message: `confidence ${JSON.stringify(confS.slice(0, 20))} is not 0..100` });
      continue;
    }
    if (indicators.length >= lim.maxIndicators) throw new GarrisonError('INTEL_TOO_LARGE', `${source}: more than ${lim.maxIndicators} indicators`, { location: { file: source, line } });
    const ind = makeIndicator({
      type: (typeS || undefined) as IndicatorType | undefined,
      value,
      source: get(fields, 'source') || source,
      confidence: conf,
      validFrom: parseTime(get(fields, 'valid_from') || undefined),
      validUntil: parseTime(get(fields, 'valid_until') || undefined),
      tags: get(fields, 'tags').split(/[;|]/).map((t) => t.trim()).filter(Boolean),
      description: get(fields, 'description') || undefined,
      ref: `${source}:${line}`,
    });
    if (!ind) {
      if (problems.length < lim.maxProblems) problems.push({ where, code: 'INTEL_VALUE_INVALID', message: `${JSON.stringify(value.slice(0, 100))} is not a valid ${typeS || 'IP, CIDR, domain, URL or hash'}` });
      continue;
    }
    indicators.push(ind);
  }
  return { source, format: 'csv', indicators, problems, skipped: 0 };
}
