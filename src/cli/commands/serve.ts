/**
 * `garrison serve [--port N] [--host H] [--data DIR] [--config FILE] [--role all|ingest|engine]
 *                 [--store-url postgres://…|sqlite:FILE] [--bus-url nats://…] [--node NAME]`
 *
 * The role selects what this process runs (docs/deployment.md): `all` (default) is the embedded
 * single process; `ingest` and `engine` split it over PostgreSQL and NATS JetStream.
 *
 * Loads and validates the configuration (YAML + env + flags; every problem listed), starts the
 * server, prints where it listens (and, on first run, the generated tokens, once) on stdout,
 * writes JSON logs on stderr, and shuts down gracefully on SIGTERM/SIGINT: stop accepting,
 * flush what was accepted, close the store. A second signal exits at once.
 */
import type { Command } from 'commander';
import { loadConfig } from '../../core/config.js';
import { createLogger } from '../../core/logger.js';
import { describeStore, startServer } from '../../surface/server/server.js';
import { planRole, redactUrl } from '../../app/roles.js';

interface ServeFlags {
  port?: string;
  host?: string;
  data?: string;
  config?: string;
  role?: string;
  storeUrl?: string;
  busUrl?: string;
  node?: string;
}

export function register(program: Command): void {
  program
    .command('serve')
    .description('run the Garrison server: HEC and /api ingest, search, health, metrics (default 127.0.0.1:8080, data in ./data)')
    .option('-p, --port <port>', 'TCP port to listen on (0 = any free port); env GARRISON_PORT')
    .option('-H, --host <host>', 'address to bind (0.0.0.0 for all interfaces); env GARRISON_HOST')
    .option('-d, --data <dir>', 'data directory (SQLite store, token hashes); env GARRISON_DATA_DIR')
    .option('-c, --config <file>', 'YAML configuration file; env GARRISON_CONFIG')
    .option('-r, --role <role>', 'all (default: everything in this process) | ingest (ingest + API, publishes stored events) | engine (detection worker fed by the bus); env GARRISON_ROLE')
    .option('--store-url <url>', 'postgres://user@host:5432/db (shared store) or sqlite:<file>; env GARRISON_STORE_URL')
    .option('--bus-url <url>', 'nats://host:4222[,nats://host2:4222] (NATS JetStream) or memory; env GARRISON_BUS_URL')
    .option('--node <name>', 'name of this process in the deployment (default: host name); env GARRISON_NODE')
    .action(async (flags: ServeFlags) => {
      const { config, file } = loadConfig({
        file: flags.config,
        overrides: { port: flags.port, host: flags.host, dataDir: flags.data, role: flags.role, storeUrl: flags.storeUrl, busUrl: flags.busUrl, node: flags.node },
      });
      const logger = createLogger({ level: config.logging.level });
      const out = (s: string) => process.stdout.write(s + '\n');
      const server = await startServer({
        config,
        logger,
        announceTokens: (t) => {
          out('garrison: first run: generated tokens (shown once; only their SHA-256 is stored in ' + config.dataDir + '/tokens.json):');
          if (t.api) out(`  API token (Authorization: Bearer ...): ${t.api}`);
          if (t.hec) out(`  HEC token (Authorization: Splunk ...): ${t.hec}`);
        },
      });
      const plan = planRole(config);
      const role = plan.role === 'all' ? '' : `, role ${plan.role} as ${plan.node}, bus ${config.bus.kind === 'nats' ? [config.bus.servers].flat().map(redactUrl).join(',') + ' stream ' + config.bus.stream : config.bus.kind}`;
      out(`garrison: listening on ${server.url} (data ${config.dataDir}, store ${describeStore(config)}${role}${file ? `, config ${file}` : ''})`);

      await new Promise<void>((resolveDone) => {
        let signalled = false;
        const onSignal = (sig: NodeJS.Signals) => {
          if (signalled) {
            logger.warn({ signal: sig }, 'second signal: exiting without waiting');
            logger.flush?.();
            process.exit(130);
          }
          signalled = true;
          logger.info({ signal: sig }, 'shutting down: no new requests, flushing accepted events');
          const timer = setTimeout(() => {
            logger.error({ timeoutMs: config.server.shutdownTimeoutMs }, 'shutdown timed out; exiting');
            logger.flush?.();
            process.exit(1);
          }, config.server.shutdownTimeoutMs);
          timer.unref();
          server
            .close()
            .then(() => {
              clearTimeout(timer);
              out('garrison: stopped');
            })
            .catch((e) => {
              logger.error({ err: e }, 'shutdown failed');
              process.exitCode = 1;
            })
            .finally(() => {
              process.off('SIGTERM', onSignal);
              process.off('SIGINT', onSignal);
              resolveDone();
            });
        };
        process.on('SIGTERM', onSignal);
        process.on('SIGINT', onSignal);
      });
    });
}
