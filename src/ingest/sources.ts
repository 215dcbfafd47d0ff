/**
 * The standalone ingest Sources (listeners that are not HTTP routes), in an explicit typed map:
 * each kind has its zod config schema and a factory. The server validates the `sources` section
 * of its config with SourcesConfigSchema and starts every configured source with
 * createConfiguredSources(); HTTP paths (HEC, /api/v1/events) are server routes instead.
 *
 *   sources:
 *     - { kind: syslog, protocol: udp, port: 5514 }
 *     - { kind: syslog, protocol: tcp, port: 5514 }
 *     - { kind: syslog, protocol: tls, port: 6514, tls: { cert: cert.pem, key: key.pem } }
 */
import { z } from 'zod';
import { GarrisonError, ProblemList } from '../core/errors.js';
import type { Source } from './sink.js';
import { SyslogListener, SyslogListenerConfigSchema } from './syslog/listener.js';

export const SOURCES = {
  syslog: {
    description: 'Syslog over UDP, TCP (RFC 6587 octet counting or newline framing) and TLS; RFC 5424/3164, CEF payloads',
    schema: SyslogListenerConfigSchema,
    create: (config: z.output<typeof SyslogListenerConfigSchema>, name: string): Source => new SyslogListener(config, name),
  },
} as const;

export type SourceKind = keyof typeof SOURCES;

/** One configured source: `kind` picks the entry of SOURCES; the rest is that kind's config. */
export const SourceEntrySchema = z.looseObject({ kind: z.enum(Object.keys(SOURCES) as [SourceKind, ...SourceKind[]]), name: z.string().min(1).max(64).optional() });
export const SourcesConfigSchema = z.array(SourceEntrySchema).default([]);
export type SourcesConfig = z.input<typeof SourcesConfigSchema>;

/**
 * Validates every entry (collecting all problems, each located at `sources[i].field`) and
 * creates the sources. Throws CONFIG_INVALID listing every problem.
 */
export function createConfiguredSources(entries: unknown, file = 'config'): Source[] {
  const problems = new ProblemList();
  const out: Source[] = [];
  const list = SourcesConfigSchema.safeParse(entries);
  if (!list.success) {
    for (const i of list.error.issues) problems.add(new GarrisonError('CONFIG_INVALID', `sources.${i.path.join('.')}: ${i.message}`, { location: { file, field: `sources.${i.path.join('.')}` } }));
    throw new GarrisonError('CONFIG_INVALID', problems.format(), { details: { problems: problems.problems.map((p) => p.toJSON()) } });
  }
  const names = new Set<string>();
  list.data.forEach((entry, idx) => {
    const { kind, name, ...rest } = entry;
    const spec = SOURCES[kind];
    const parsed = spec.schema.safeParse(rest);
    if (!parsed.success) {
      for (const i of parsed.error.issues) {
        problems.add(new GarrisonError('CONFIG_INVALID', `sources[${idx}].${i.path.join('.')}: ${i.message}`, { location: { file, field: `sources[${idx}].${i.path.join('.')}` } }));
      }
      return;
    }
    const n = name ?? `${kind}-${(parsed.data as { protocol?: string }).protocol ?? idx}-${(parsed.data as { port?: number }).port ?? idx}`;
    if (names.has(n)) {
      problems.add(new GarrisonError('CONFIG_INVALID', `sources[${idx}]: duplicate source name "${n}"`, { location: { file, field: `sources[${idx}].name` } }));
      return;
    }
    names.add(n);
    out.push(spec.create(parsed.data, n));
  });
  if (!problems.ok) throw new GarrisonError('CONFIG_INVALID', problems.format(), { details: { problems: problems.problems.map((p) => p.toJSON()) } });
  return out;
}
