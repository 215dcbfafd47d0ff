/**
 * `garrison sigma check DIR...` and `garrison sigma regress SIGMAHQ_ROOT` (owner: Sigma engine).
 */
import type { Command } from 'commander';
import { GarrisonError } from '../../core/errors.js';
import { loadSigmaConfigFile } from '../../detect/sigma/config.js';
import { parseCorrelationRule } from '../../detect/sigma/correlation/index.js';
import { evtxFlat, loadEvtx } from '../../detect/sigma/evtx-bridge.js';
import { loadRulePaths } from '../../detect/sigma/loader.js';
import { SigmaMatcher } from '../../detect/sigma/matcher.js';
import { runRegression } from '../../detect/sigma/regress.js';

function problemRow(p: GarrisonError): { path: string; line: number | null; code: string; message: string } {
  return { path: p.location?.file ?? '', line: p.location?.line ?? null, code: p.code, message: p.message };
}

export function register(program: Command): void {
  const sigma = program.command('sigma').description('Sigma rules: validate rule directories, run SigmaHQ regression tests');

  sigma
    .command('check')
    .description('load and validate Sigma rules (files or directories); every rejection says why')
    .argument('<paths...>', 'rule files or directories')
    .option('--json', 'print {"loaded":N,"rejected":[{"path","line","code","message"}]}')
    .option('--min-ratio <r>', 'exit 1 when loaded/(loaded+rejected) is below this ratio (default 1: any rejection fails)', '1')
    .option('--config <file>', 'Sigma engine configuration (YAML: placeholders for |expand, pipelines ...; see docs/sigma.md)')
    .action((paths: string[], o: { json?: boolean; minRatio: string; config?: string }) => {
      const ratio = Number(o.minRatio);
      if (!Number.isFinite(ratio) || ratio < 0 || ratio > 1) throw new GarrisonError('BAD_REQUEST', `--min-ratio must be a number between 0 and 1, got '${o.minRatio}'`);
      const cfg = o.config ? loadSigmaConfigFile(o.config) : undefined;
      const set = loadRulePaths(paths);
      // Every rule is checked: status, level and enabled/disabled lists do not hide problems.
      const matcher = new SigmaMatcher(set, { config: { ...(cfg ?? {}), enabled: undefined, disabled: [], minLevel: undefined, skipStatus: [] } });
      const rejected = [...set.problems, ...matcher.problems];
      let correlations = 0;
      for (const c of set.correlations) {
        const { rule, problems } = parseCorrelationRule(c.doc.value as Record<string, unknown>, { file: c.file, line: c.doc.line, lineOf: c.doc.lineOf });
        if (rule && problems.length === 0) correlations++;
        rejected.push(...problems);
      }
      const loaded = matcher.rules.length + set.filters.length + correlations;
      rejected.sort((a, b) => (a.location?.file ?? '').localeCompare(b.location?.file ?? '') || (a.location?.line ?? 0) - (b.location?.line ?? 0));
      if (o.json) process.stdout.write(JSON.stringify({ loaded, rejected: rejected.map(problemRow) }) + '\n');
      else {
        for (const p of rejected) process.stdout.write(`${p.location?.file ?? ''}${p.location?.line ? `:${p.location.line}` : ''}: ${p.code} ${p.message}\n`);
        process.stdout.write(`loaded ${loaded} (${matcher.rules.length} rules, ${set.filters.length} filters, ${correlations} correlations) from ${set.files} files; rejected ${rejected.length}\n`);
      }
      const total = loaded + rejected.length;
      if (total === 0 || loaded / total < ratio) process.exitCode = 1;
    });

  sigma
    .command('regress')
    .description("run SigmaHQ's regression tests (regression_data/**/info.yml) the way SigmaHQ's CI judges them")
    .argument('<root>', 'SigmaHQ checkout (holds rules/ and regression_data/)')
    .option('--json', 'print {"json":{"total","passed","failed":[...]},"evtx":{...},"disagreements":[...]}')
    .option('--no-evtx', 'skip the EVTX samples')
    .action(async (root: string, o: { json?: boolean; evtx: boolean }) => {
      let evtxSkipped: string | undefined;
      let useEvtx = o.evtx;
      if (useEvtx) {
        const m = await loadEvtx();
        if (typeof m === 'string') {
          evtxSkipped = m;
          useEvtx = false;
        }
      } else evtxSkipped = 'skipped (--no-evtx)';
      const r = await runRegression(root, { evtxReader: useEvtx ? evtxFlat : undefined, evtxSkipped });
      if (o.json) process.stdout.write(JSON.stringify(r) + '\n');
      else {
        for (const [kind, k] of [['json', r.json], ['evtx', r.evtx]] as const) {
          if (!k) continue;
          for (const f of k.failed) process.stdout.write(`FAIL ${kind} ${f.rule_id} ${f.title ?? ''}: expected >= ${f.expected}, got ${f.got}${f.reason ? ` (${f.reason})` : ''}\n`);
          process.stdout.write(`${kind}: ${k.passed}/${k.total} passed\n`);
        }
        if (r.evtxSkipped) process.stdout.write(`evtx: not run: ${r.evtxSkipped}\n`);
        for (const d of r.disagreements ?? []) process.stdout.write(`DISAGREE ${d.rule_id} ${d.title ?? ''}: ${d.json} matches on the JSON sample, ${d.evtx} on the EVTX file\n`);
        if (r.disagreements) process.stdout.write(`json and evtx agree on ${(r.evtx?.total ?? 0) - r.disagreements.length}/${r.evtx?.total ?? 0} samples\n`);
      }
      // A failed test, or JSON and EVTX renderings of the same sample matching differently.
      if (r.json.failed.length > 0 || (r.evtx && r.evtx.failed.length > 0) || (r.disagreements?.length ?? 0) > 0) process.exitCode = 1;
    });
}
