import type { Command } from 'commander';
import { GarrisonError } from '../../core/errors.js';
import { listEvtxFiles, readEvtx } from '../../normalize/evtx/index.js';

/** Writes to stdout, waiting for drain (streams large files with bounded memory). */
function write(s: string): Promise<void> | undefined {
  if (process.stdout.write(s)) return undefined;
  return new Promise((r) => process.stdout.once('drain', () => r()));
}

/** `garrison evtx dump FILE [--format xml|jsonl] [--salvage]`: records to stdout, problems to stderr, exit 1 on any problem. */
export function register(program: Command): void {
  const evtx = program.command('evtx').description('Windows EVTX files');
  evtx
    .command('dump')
    .description('print the records of an EVTX file (or a folder of them) as XML or JSON lines (flat form)')
    .argument('<file>', 'an .evtx file or a folder searched recursively for .evtx files')
    .option('--format <format>', 'xml | jsonl', 'xml')
    .option('--salvage', 'read the records of damaged chunks (checksum mismatch, cut short) that validate on their own, instead of skipping the chunk')
    .action(async (file: string, opts: { format: string; salvage?: boolean }) => {
      if (opts.format !== 'xml' && opts.format !== 'jsonl') {
        throw new GarrisonError('EVTX_BAD_FORMAT_OPTION', `--format must be xml or jsonl, not ${opts.format}`);
      }
      // `garrison evtx dump x.evtx | head`: a closed pipe ends the dump quietly.
      process.stdout.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
        throw e;
      });
      const { files } = await listEvtxFiles(file);
      let problems = 0;
      const onProblem = (e: GarrisonError) => {
        problems++;
        const l = e.location ?? {};
        process.stderr.write(`${l.file ?? file}: chunk ${l.chunk ?? '-'} offset ${l.offset ?? '-'}${l.record !== undefined ? ` record ${l.record}` : ''}: ${e.code} ${e.message}\n`);
      };
      for (const f of files) {
        for await (const rec of readEvtx(f.path, { onProblem, salvage: opts.salvage === true })) {
          let out: string;
          try {
            if (opts.format === 'xml') out = rec.xml() + '\n';
            else {
              out = JSON.stringify({ file: f.path, recordId: rec.recordId, time: rec.timeText, chunk: rec.chunk, offset: rec.offset, fields: rec.flat() }) + '\n';
            }
          } catch (e) {
            if (e instanceof GarrisonError) {
              onProblem(e);
              continue;
            }
            throw e;
          }
          const p = write(out);
          if (p) await p;
        }
      }
      if (problems > 0) {
        process.stderr.write(`garrison evtx dump: ${problems} problem(s)\n`);
        process.exitCode = 1;
      }
    });
}
