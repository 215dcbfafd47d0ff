/**
 * `garrison demo [--port N] [--data DIR] [--speed X] [--scenario NAME] [--seed N]`
 *
 * Starts the server with the engine on a fresh data directory (default ./data/demo), streams a
 * seeded simulated organization under attack into it through HEC, prints the API URL and the
 * tokens, and keeps running until Ctrl-C. See docs/demo.md.
 */
import type { Command } from 'commander';
import { GarrisonError } from '../../core/errors.js';
import { createLogger } from '../../core/logger.js';
import { startDemo } from '../../app/demo.js';
import { SCENARIOS } from '../../sim/campaigns.js';

function parseSpeed(v: string): number | 'max' {
  if (v === 'max') return 'max';
  const n = Number(v);
  if (!/^\d+(\.\d+)?$/.test(v) || !Number.isFinite(n) || n <= 0) throw new GarrisonError('SIM_OPTION_INVALID', `--speed must be a positive number or "max", got "${v.slice(0, 40)}"`, { location: { field: 'speed' } });
  return n;
}

function int(name: string, min: number, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\d+$/.test(v) || n < min || n > max) throw new GarrisonError('SIM_OPTION_INVALID', `--${name} must be an integer between ${min} and ${max}, got "${v.slice(0, 40)}"`, { location: { field: name } });
    return n;
  };
}

export function register(program: Command): void {
  program
    .command('demo')
    .description('First run: start the server on ./data/demo and stream a simulated organization under attack into it')
    .option('-p, --port <port>', 'TCP port (0 = any free port)', int('port', 0, 65535), 8080)
    .option('-H, --host <host>', 'address to bind', '127.0.0.1')
    .option('-d, --data <dir>', 'data directory (wiped if it holds a previous demo; refused if it holds anything else)', './data/demo')
    .option('--speed <x|max>', 'simulated seconds per real second for the scenario day (300 = a day in under 5 minutes), or max', parseSpeed, 300 as number | 'max')
    .option('--scenario <name>', `scenario (${Object.keys(SCENARIOS).join(', ')})`, 'default')
    .option('--seed <n>', 'PRNG seed', int('seed', 0, 0xffffffff), 1)
    .option('--warmup-days <d>', 'days of background sent first at full speed (baselines learn on it)', int('warmup-days', 0, 14), 1)
    .option('--log-level <level>', 'server log level on stderr', 'warn')
    .action(async (o: { port: number; host: string; data: string; speed: number | 'max'; scenario: string; seed: number; warmupDays: number; logLevel: string }) => {
      const level = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(o.logLevel) ? (o.logLevel as 'warn') : 'warn';
      const logger = createLogger({ level });
      const demo = await startDemo({ port: o.port, host: o.host, dataDir: o.data, speed: o.speed, scenario: o.scenario, seed: o.seed, warmupDays: o.warmupDays, logger });
      await new Promise<void>((done) => {
        let signalled = false;
        const onSignal = () => {
          if (signalled) process.exit(130);
          signalled = true;
          process.stdout.write('garrison demo: stopping\n');
          demo
            .close()
            .catch((e) => {
              process.stderr.write(`garrison demo: shutdown failed: ${(e as Error).message}\n`);
              process.exitCode = 1;
            })
            .finally(() => {
              process.off('SIGINT', onSignal);
              process.off('SIGTERM', onSignal);
              done();
            });
        };
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
      });
    });
}
