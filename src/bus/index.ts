/**
 * The bus area: the Bus port, its implementations (an explicit typed map) and the stage bridges.
 *
 *   const bus = await openBus({ kind: 'memory' });                                  // embedded default
 *   const bus = await openBus({ kind: 'nats', servers: '127.0.0.1:4222', stream: 'GARRISON' });
 */
import { z } from 'zod';
import { GarrisonError } from '../core/errors.js';
import { MemoryBus, MemoryBusConfigSchema } from './memory/bus.js';
import { NatsBus, NatsBusConfigSchema } from './nats/bus.js';
import type { Bus } from './port.js';

export * from './port.js';
export * from './bridge.js';
export { MemoryBus, MemoryBusConfigSchema, openMemoryBus } from './memory/bus.js';
export type { MemoryBusConfig } from './memory/bus.js';
export { NatsBus, NatsBusConfigSchema, openNatsBus, durableName } from './nats/bus.js';
export type { NatsBusConfig } from './nats/bus.js';

/** Bus configuration: which implementation and its options (validated with zod). */
export const BusConfigSchema = z.discriminatedUnion('kind', [
  MemoryBusConfigSchema.extend({ kind: z.literal('memory') }),
  NatsBusConfigSchema.extend({ kind: z.literal('nats') }),
]);
export type BusConfig = z.input<typeof BusConfigSchema>;
export type BusKind = BusConfig['kind'];

/** The implementations, by kind: adding one is one entry here plus its schema above. */
export const BUS_IMPLEMENTATIONS: { [K in BusKind]: (config: Omit<Extract<BusConfig, { kind: K }>, 'kind'>) => Promise<Bus> } = {
  memory: async (c) => new MemoryBus(c),
  nats: (c) => NatsBus.open(c),
};

/** Opens the configured bus (NATS: connects and makes sure the stream exists). */
export async function openBus(config: BusConfig = { kind: 'memory' }): Promise<Bus> {
  const parsed = BusConfigSchema.safeParse(config);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `bus.${i.path.join('.')}: ${i.message}`);
    throw new GarrisonError('CONFIG_INVALID', `invalid bus configuration:\n${lines.join('\n')}`, { details: { problems: lines } });
  }
  const { kind, ...rest } = config;
  const open = BUS_IMPLEMENTATIONS[kind] as (c: typeof rest) => Promise<Bus>;
  return open(rest);
}
