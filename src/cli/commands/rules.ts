/**
 * `garrison rules test [DIR...]`, `garrison rules stats`, `garrison rules noisy`: detection
 * engineering as code. Logic in src/detect/rules-tooling.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { GarrisonError } from '../../core/errors.js';
import { CoverageService } from '../../coverage/service.js';
import { builtinRulesDir } from '../../detect/engine.js';
import { runRuleTests } from '../../detect/rules-tooling/test-runner.js';
import { terminalSafe } from './search.js';
import { collect, openExistingStore } from './common.js';

export function register(program: Command): void {
  const rules = program.command('rules').description('Detection engineering: test rules, per-rule statistics, noisy rules with proposed exceptions');

  rules
    .command('test')
    .description("run every rule's positive and negative test events (<rule>.tests.yml beside each rule); exit 1 on any failure")
    .argument('[dirs...]', 'rule directories or files (default: the built-in pack)')
    .option('--with-builtin', 'also test the built-in pack when directories are given')
    .option('--allow-missing', 'rules without a tests file do not fail the run')
    .option('--json', 'print the full result as JSON')
    .action((dirs: string[], o: { withBuiltin?: boolean; allowMissing?: boolean; json?: boolean }) => {
      const list = dirs.length ? [...(o.withBuiltin ? [builtinRulesDir()] : []), ...dirs] : [builtinRulesDir()];
      for (const d of list) if (!existsSync(d)) throw new GarrisonError('NOT_FOUND', `no such rule directory or file: ${d}`, { location: { file: d } });
      const r = runRuleTests(list, { requireTests: !o.allowMissing });
      if (o.json) process.stdout.write(JSON.stringify(r) + '\n');
      else {
        for (const f of r.failures) process.stdout.write(`FAIL ${f.file}${f.index !== undefined ? ` ${f.kind}[${f.index}]` : ` ${f.kind}`}${f.title ? ` (${terminalSafe(f.title)})` : ''}: ${terminalSafe(f.message)}\n`);
        process.stdout.write(`${r.rules} rules, ${r.cases} test cases, ${r.passed} passed, ${r.failures.length} failures (${r.durationMs} ms)\n`);
      }
      if (!r.ok) process.exitCode = 1;
    });

  rules
    .command('stats')
    .description('per-rule statistics from live operation: firings, share closed as benign, matching cost per event')
    .option('--data <dir>', 'data directory holding garrison.db', './data')
    .option('--window <d>', 'window length ending at --until', '7d')
    .option('--until <time>', 'end of the window (default now)')
    .option('--rules <dir>', 'rule directory besides the built-in pack (repeatable)', collect, [])
    .option('--sample <n>', 'events sampled for the cost measurement (0 = none)', '2000')
    .option('--tenant <name>', 'only this tenant')
    .option('--json', 'print JSON')
    .action(async (o: { data: string; window: string; until?: string; rules: string[]; sample: string; tenant?: string; json?: boolean }) => {
      const store = openExistingStore(o.data);
      try {
        const r = await new CoverageService(store, { rulePaths: o.rules }).ruleStats({ window: o.window, until: o.until, tenant: o.tenant, sample: Number(o.sample) });
        if (o.json) {
          process.stdout.write(JSON.stringify(r) + '\n');
          return;
        }
        process.stdout.write(`${'FIRINGS'.padStart(8)} ${'HOSTS'.padStart(6)} ${'INC'.padStart(5)} ${'BENIGN'.padStart(7)} ${'NS/EV'.padStart(8)}  RULE\n`);
        for (const x of r.rules)
          process.stdout.write(
            `${String(x.firings).padStart(8)} ${String(x.hosts).padStart(6)} ${String(x.incidents).padStart(5)} ${(x.benignShare === undefined ? '-' : `${Math.round(x.benignShare * 100)}%`).padStart(7)} ${(x.costNsPerEvent === undefined ? '-' : Math.round(x.costNsPerEvent).toString()).padStart(8)}  ${terminalSafe(x.title)} (${x.id})\n`,
          );
        process.stdout.write(`${r.signals} signals, ${r.incidents} incidents, ${r.feedback} feedback records; cost sample ${r.sample.events} events${r.sample.matcherNsPerEvent !== undefined ? `, whole matcher ${Math.round(r.sample.matcherNsPerEvent)} ns/event` : ''}\n`);
      } finally {
        await store.close();
      }
    });

  rules
    .command('noisy')
    .description('rules that fire often and end benign, each with a proposed exception (Sigma filter draft, replayed on stored events)')
    .option('--data <dir>', 'data directory holding garrison.db', './data')
    .option('--window <d>', 'window length ending at --until', '7d')
    .option('--until <time>', 'end of the window (default now)')
    .option('--rules <dir>', 'rule directory besides the built-in pack (repeatable)', collect, [])
    .option('--min-firings <n>', 'least firings to be considered', '10')
    .option('--min-benign <share>', 'least benign share (0..1)', '0.7')
    .option('--out <dir>', 'write each proposed filter as <dir>/<rule-id>.filter.yml')
    .option('--tenant <name>', 'only this tenant')
    .option('--json', 'print JSON')
    .action(async (o: { data: string; window: string; until?: string; rules: string[]; minFirings: string; minBenign: string; out?: string; tenant?: string; json?: boolean }) => {
      const minFirings = Number(o.minFirings);
      const minShare = Number(o.minBenign);
      if (!Number.isInteger(minFirings) || minFirings < 1) throw new GarrisonError('COVERAGE_OPTION_INVALID', `--min-firings must be a positive integer, got '${o.minFirings}'`);
      if (!(minShare >= 0 && minShare <= 1)) throw new GarrisonError('COVERAGE_OPTION_INVALID', `--min-benign must be between 0 and 1, got '${o.minBenign}'`);
      const store = openExistingStore(o.data);
      try {
        const { noisy } = await new CoverageService(store, { rulePaths: o.rules }).noisy({ window: o.window, until: o.until, tenant: o.tenant, minFirings, minBenignShare: minShare });
        if (o.out) {
          mkdirSync(o.out, { recursive: true });
          for (const n of noisy) if (n.proposal) writeFileSync(join(o.out, `${n.id.replace(/[^A-Za-z0-9_.-]/g, '_')}.filter.yml`), n.proposal.yaml);
        }
        if (o.json) {
          process.stdout.write(JSON.stringify({ noisy }) + '\n');
          return;
        }
        if (!noisy.length) process.stdout.write('no noisy rules in the window\n');
        for (const n of noisy) {
          process.stdout.write(`\n${terminalSafe(n.title)} (${n.id})\n  ${terminalSafe(n.why)}\n`);
          if (!n.proposal) {
            process.stdout.write('  no field value common to the benign firings: no exception proposed\n');
            continue;
          }
          const rp = n.proposal.replay;
          if (rp) process.stdout.write(`  replay: suppresses ${rp.benignSuppressed}/${rp.benignChecked} benign firings, ${rp.maliciousSuppressed}/${rp.maliciousChecked} malicious\n`);
          process.stdout.write(terminalSafe(n.proposal.yaml).replace(/^/gm, '    ').replace(/ {4}$/, '') + '\n');
        }
      } finally {
        await store.close();
      }
    });
}
