/**
 * `garrison ingest PATH... [--data DIR] [--format F] [--tenant T] [--json]`
 *
 * Reads files and folders (recursively) into the store: NDJSON, JSON arrays, concatenated JSON,
 * Windows JSON, Zeek JSON/TSV, CloudTrail, syslog/CEF text, gzip-compressed or not; EVTX through
 * the EVTX reader. Shows a progress bar over bytes on a terminal and ends with a summary.
 * Exit status: 0 when every file was read (individual records may be rejected), 1 when a file
 * could not be read or its format not detected.
 */
import type { Command } from 'commander';
import { Option } from 'commander';
import cliProgress from 'cli-progress';
import { FILE_FORMATS, FileIngestConfigSchema, type FileFormat, type IngestSummary } from '../../ingest/file/ingest.js';
import { runFileIngest } from '../../ingest/file/run.js';
import { GarrisonError } from '../../core/errors.js';

function intOption(name: string, min: number, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new GarrisonError('BAD_REQUEST', `${name} must be an integer from ${min} to ${max}`, { location: { field: name } });
    return n;
  };
}

/** Messages often start with the place (`file:/x:2: …`, `/x: …`); the summary line already says it. */
function stripWhere(msg: string, file: string): string {
  for (const p of [`file:${file}:`, `${file}:`]) {
    if (msg.startsWith(p)) {
      const sep = msg.indexOf(': ', p.length - 1);
      if (sep >= 0 && sep - p.length < 24) return msg.slice(sep + 2);
    }
  }
  return msg;
}

export function formatSummary(s: IngestSummary & { pipeline?: unknown }): string {
  const secs = s.elapsedMs / 1000;
  const rate = secs > 0 ? Math.round(s.stored / secs) : 0;
  const lines = [
    `files: ${s.files}${s.filesFailed ? ` (${s.filesFailed} failed)` : ''}${s.skipped ? `, ${s.skipped} skipped as not logs (${s.skippedFiles.slice(0, 3).map((f) => f.split('/').pop()).join(', ')}${s.skipped > 3 ? ' …' : ''})` : ''}`,
    `read: ${s.read}  stored: ${s.stored}  duplicates: ${s.duplicates}  rejected: ${s.rejected}`,
    `time: ${secs.toFixed(1)} s  (${rate} events/s stored, ${(s.bytes / 1048576 / Math.max(secs, 1e-3)).toFixed(1)} MiB/s)`,
  ];
  const codes = Object.entries(s.rejectedByCode);
  if (codes.length) {
    lines.push('rejected by code: ' + codes.map(([c, n]) => `${c} ${n}`).join(', '));
    for (const r of s.rejections) {
      const where = `${r.file}${r.index !== undefined ? `[${r.index}]` : ''}${r.line !== undefined ? `:${r.line}` : ''}`;
      lines.push(`  ${where}: ${r.code} ${stripWhere(r.message, r.file).slice(0, 300)}`);
    }
    if (s.rejected > s.rejections.length) lines.push(`  ... ${s.rejected - s.rejections.length} more`);
  }
  for (const f of s.perFile) if (f.error) lines.push(`failed: ${f.path}: ${f.error.code} ${f.error.message.slice(0, 300)}`);
  return lines.join('\n');
}

export function register(program: Command): void {
  program
    .command('ingest')
    .description('ingest files and folders (NDJSON, JSON arrays, Windows JSON, Zeek, CloudTrail, syslog/CEF, EVTX) into the store')
    .argument('<paths...>', 'files or folders (folders are read recursively)')
    .option('--data <dir>', 'data directory (store at <dir>/garrison.db)', './data')
    .addOption(new Option('--format <format>', 'format of every file (default: detect per file)').choices([...FILE_FORMATS]).default('auto'))
    .option('--tenant <tenant>', 'tenant of the events', 'default')
    .option('--json', 'print the summary as JSON')
    .option('--batch <n>', `records per store transaction (default ${FileIngestConfigSchema.shape.batchSize.parse(undefined)})`, intOption('--batch', 1, 100_000))
    .option('--max-record <chars>', 'largest line or JSON element accepted', intOption('--max-record', 1024, 64 * 1024 * 1024), 1024 * 1024)
    .action(async (paths: string[], o: { data: string; format: FileFormat; tenant: string; json?: boolean; batch?: number; maxRecord: number }) => {
      if (!/^[A-Za-z0-9_.-]{1,64}$/.test(o.tenant)) throw new GarrisonError('BAD_REQUEST', '--tenant must be 1-64 letters, digits, "_", "." or "-"', { location: { field: '--tenant' } });
      const tty = process.stdout.isTTY && !o.json;
      let bar: cliProgress.SingleBar | undefined;
      const summary = await runFileIngest(paths, {
        dataDir: o.data,
        format: o.format,
        tenant: o.tenant,
        batchSize: o.batch,
        maxRecordChars: o.maxRecord,
        onFiles: (files, total) => {
          if (!tty || total === 0) return;
          bar = new cliProgress.SingleBar(
            { format: 'ingest [{bar}] {percentage}% | {value}/{total} MiB | {files} files | ETA {eta_formatted}', hideCursor: true, clearOnComplete: true },
            cliProgress.Presets.shades_classic,
          );
          bar.start(Math.max(1, Math.round(total / 1048576)), 0, { files: files.length });
        },
        onProgress: (done) => bar?.update(Math.round(done / 1048576)),
      }).finally(() => bar?.stop());
      if (o.json) {
        const { pipeline, ...rest } = summary;
        process.stdout.write(JSON.stringify({ ...rest, pipeline }, null, 2) + '\n');
      } else process.stdout.write(formatSummary(summary) + '\n');
      if (summary.filesFailed > 0) process.exitCode = 1;
    });
}
