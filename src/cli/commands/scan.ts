/**
 * `garrison scan PATH... --rules DIR...` — offline scan of collected logs (owner: Sigma engine).
 */
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { GarrisonError } from '../../core/errors.js';
import { LEVELS, type Level } from '../../core/signal.js';
import { loadSigmaConfigFile } from '../../detect/sigma/config.js';
import { runScan, type ScanDetection } from '../../detect/sigma/scan.js';

const csvCell = (v: unknown) => {
  const s = v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v);
  // Cells starting with = + - @ are prefixed so spreadsheets do not evaluate attacker text as formulas.
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
};
const oneLine = (s: string, max: number) => {
  const t = s.replace(/[\x00-\x1f\x7f]/g, ' ');
  return t.length > max ? t.slice(0, max - 1) + '…' : t;
};

export function register(program: Command): void {
  program
    .command('scan')
    .description('scan collected logs (JSON, JSON lines, text, .evtx) with Sigma rules, like Hayabusa or Chainsaw')
    .argument('<paths...>', 'log files or directories')
    .option('--rules <dirs...>', 'Sigma rule files or directories (besides the built-in pack)', [])
    .option('--format <fmt>', 'jsonl, table or csv', 'jsonl')
    .option('--min-level <level>', `lowest level reported (${LEVELS.join(', ')})`)
    .option('--no-builtin', 'do not load the built-in rule pack')
    .option('--quiet', 'do not print rule-loading and input problems on stderr')
    .option('--config <file>', 'Sigma engine configuration (YAML: placeholders, exceptions, disabled rules ...; see docs/sigma.md)')
    .option('--salvage', '.evtx inputs: read the records of damaged chunks that validate on their own instead of skipping the chunk')
    .action(async (paths: string[], o: { rules: string[]; format: string; minLevel?: string; builtin: boolean; quiet?: boolean; config?: string; salvage?: boolean }) => {
      if (!['jsonl', 'table', 'csv'].includes(o.format)) throw new GarrisonError('BAD_REQUEST', `--format must be jsonl, table or csv, got '${o.format}'`);
      if (o.minLevel !== undefined && !(LEVELS as readonly string[]).includes(o.minLevel)) throw new GarrisonError('BAD_REQUEST', `--min-level must be one of ${LEVELS.join(', ')}, got '${o.minLevel}'`);
      const config = o.config ? loadSigmaConfigFile(o.config) : undefined;
      const out = process.stdout;
      // A closed pipe (`garrison scan ... | head`) ends the scan quietly.
      out.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'EPIPE') process.exit(0);
        throw e;
      });
      if (o.format === 'csv') out.write('timestamp,level,rule_id,title,host,file,record,tags,fields\n');
      if (o.format === 'table') out.write(`${'timestamp'.padEnd(24)} ${'level'.padEnd(13)} ${'host'.padEnd(20)} title\n`);
      const write = (d: ScanDetection) => {
        if (o.format === 'jsonl') out.write(JSON.stringify(d) + '\n');
        else if (o.format === 'csv') out.write([d.timestamp, d.level, d.rule_id, d.title, d.host, d.source.file, d.source.record, d.tags.join(' '), d.fields].map(csvCell).join(',') + '\n');
        else out.write(`${d.timestamp.padEnd(24)} ${d.level.padEnd(13)} ${oneLine(d.host ?? '-', 20).padEnd(20)} ${oneLine(d.title, 100)}\n`);
      };
      // A progress bar over the input bytes on a terminal (stderr), gone when the scan ends.
      let bar: cliProgress.SingleBar | undefined;
      const onProgress =
        process.stderr.isTTY && !o.quiet
          ? (done: number, total: number, files: number) => {
              if (!bar) {
                bar = new cliProgress.SingleBar({ format: 'scan [{bar}] {percentage}% | {value}/{total} MiB | {files} files | ETA {eta_formatted}', hideCursor: true, clearOnComplete: true, stream: process.stderr }, cliProgress.Presets.shades_classic);
                bar.start(Math.max(1, Math.round(total / 1048576)), 0, { files });
              }
              bar.update(Math.round(done / 1048576));
            }
          : undefined;
      const { summary, ruleProblems } = await runScan(paths, {
        onProgress,
        rulePaths: o.rules,
        builtin: o.builtin,
        minLevel: o.minLevel as Level | undefined,
        config,
        evtxSalvage: o.salvage === true,
        onDetection: write,
        onProblem: (e) => {
          if (!o.quiet) process.stderr.write(`garrison scan: ${e.code}: ${oneLine(e.message, 300)}\n`);
        },
      });
      bar?.stop();
      if (!o.quiet) for (const p of ruleProblems) process.stderr.write(`garrison scan: rule ${p.location?.file ?? ''}${p.location?.line ? `:${p.location.line}` : ''}: ${p.code} ${oneLine(p.message, 300)}\n`);
      const err = process.stderr;
      if (err.isTTY || o.format === 'table') {
        err.write(`\n${summary.detections} detections in ${summary.events} events from ${summary.files} files (${summary.seconds.toFixed(1)} s); ${summary.problems} input problems\n`);
        for (const l of [...LEVELS].reverse()) if (summary.byLevel[l]) err.write(`  ${l.padEnd(13)} ${summary.byLevel[l]}\n`);
        for (const r of summary.byRule.slice(0, 15)) err.write(`  ${String(r.count).padStart(6)}  ${r.level.padEnd(13)} ${oneLine(r.title, 90)}\n`);
      }
    });
}
