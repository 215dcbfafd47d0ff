/**
 * Bus throughput: messages/s from publish() to the handler, for the embedded bus and NATS JetStream.
 *
 *   npx tsx bench/bus/run.ts [--messages N] [--batch B] [--size BYTES] [--only memory|nats] [--servers HOST:PORT]
 *
 * Each run publishes N messages of about BYTES bytes (JSON) in publish() calls of B messages while
 * one consumer group (batchSize B) takes them; the rate is N / (time from the first publish to the
 * last message handled). Reference measured in the same run: JSON.stringify + JSON.parse of the same
 * messages (the least a serialised hand-off costs). RSS is the process peak.
 */
import { randomBytes } from 'node:crypto';
import { MemoryBus } from '../../src/bus/memory/bus.js';
import { NatsBus } from '../../src/bus/nats/bus.js';
import type { Bus } from '../../src/bus/port.js';

const args = process.argv.slice(2);
const arg = (name: string, def: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : def;
};
const N = Number(arg('messages', '100000'));
const B = Number(arg('batch', '500'));
const SIZE = Number(arg('size', '1024'));
const only = arg('only', '');
const servers = arg('servers', '127.0.0.1:4222');

const filler = randomBytes(SIZE).toString('base64').slice(0, Math.max(0, SIZE - 120));
const messages = Array.from({ length: N }, (_, i) => ({ n: i, host: `WS-${i % 500}`, at: 1_790_000_000_000 + i, body: filler }));
const bytes = JSON.stringify(messages[0]).length;
const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
const rssMb = () => (process.resourceUsage().maxRSS / 1024).toFixed(0);

function reference(): number {
  const t0 = process.hrtime.bigint();
  let sink = 0;
  for (const m of messages) sink += (JSON.parse(JSON.stringify(m)) as { n: number }).n;
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (sink === -1) console.log('');
  return N / s;
}

async function run(name: string, bus: Bus): Promise<number> {
  const topic = 'bench.bus';
  let got = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const sub = await bus.subscribe<{ n: number }>(topic, 'bench', async (batch) => {
    got += batch.length;
    if (got >= N) done();
  }, { batchSize: B, maxWaitMs: 5 });
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i += B) await bus.publish(topic, messages.slice(i, i + B), { key: (m) => (m as { host: string }).host });
  const tp = Number(process.hrtime.bigint() - t0) / 1e9;
  await finished;
  const t = Number(process.hrtime.bigint() - t0) / 1e9;
  const c = process.cpuUsage(c0);
  await sub.stop();
  const rate = N / t;
  console.log(`${name.padEnd(7)} publish ${fmt(N / tp)} msg/s; publish→handler ${fmt(rate)} msg/s (${((rate * bytes) / 1e6).toFixed(1)} MB/s), ${((c.user + c.system) / 1e6 / t).toFixed(2)} CPU cores in this process; peak RSS ${rssMb()} MB`);
  return rate;
}

console.log(`${fmt(N)} messages of ${bytes} bytes, publish batches and consumer batches of ${B}`);
const ref = reference();
console.log(`reference JSON.stringify+parse: ${fmt(ref)} msg/s`);
if (only !== 'nats') {
  const bus = new MemoryBus({ maxPending: Math.max(10_000, B * 20) });
  const r = await run('memory', bus);
  await bus.close();
  console.log(`  ratio memory / reference: ${(r / ref).toFixed(3)}`);
}
if (only !== 'memory') {
  const stream = `BENCH_${process.pid}`;
  let bus: NatsBus | undefined;
  try {
    bus = await NatsBus.open({ servers, stream, storage: 'file' });
  } catch (e) {
    console.log(`nats    skipped: ${(e as Error).message}`);
  }
  if (bus) {
    try {
      const r = await run('nats', bus);
      console.log(`  ratio nats / reference: ${(r / ref).toFixed(3)} (file storage, server on this machine)`);
    } finally {
      await bus.destroy();
      await bus.close();
    }
  }
}
