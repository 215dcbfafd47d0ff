/**
 * An in-memory connector with real state: every effect is an entry in a set, read back by
 * observe(). Used by the property tests and by `garrison eval` / demos ("simulated" containment).
 * Failures can be injected to exercise retries and verification.
 */
import { z } from 'zod';
import { targetKey } from '../../actions/targets.js';
import type { ActionTarget, ForwardKind } from '../../types.js';
import { FORWARD_KINDS } from '../../types.js';
import { permanent, transient, type Connector, type ConnectorCall } from '../port.js';

export const MemoryConfigSchema = z.strictObject({
  /** Kinds it answers for (default: all). */
  kinds: z.array(z.enum(FORWARD_KINDS)).optional(),
  /** Addresses reported as management (never blocked). */
  managementNetworks: z.array(z.string()).default([]),
});
export type MemoryConfig = z.input<typeof MemoryConfigSchema>;

export interface InjectedFailure {
  op: 'apply' | 'revert' | 'observe';
  transient: boolean;
  /** How many calls fail (then succeed). */
  times: number;
  /** Apply "succeeds" but leaves no effect (verification must catch it). */
  silent?: boolean;
}

export class MemoryConnector implements Connector {
  readonly type = 'memory';
  readonly kinds: readonly ForwardKind[];
  /** `${kind}|${targetKey}` of every effect in force. */
  readonly state = new Set<string>();
  /** Every call, in order (for tests). */
  readonly calls: { op: string; kind: ForwardKind; key: string; idempotencyKey?: string; ttlMs?: number }[] = [];
  readonly sent: { channel: string; subject: string; message?: string }[] = [];
  private failures: InjectedFailure[] = [];
  private readonly mgmt: string[];

  constructor(
    readonly name: string,
    cfg: MemoryConfig = {},
  ) {
    const c = MemoryConfigSchema.parse(cfg);
    this.kinds = c.kinds ?? FORWARD_KINDS;
    this.mgmt = c.managementNetworks;
  }

  inject(f: InjectedFailure): void {
    this.failures.push(f);
  }

  private maybeFail(op: InjectedFailure['op']): InjectedFailure | undefined {
    const f = this.failures.find((x) => x.op === op && x.times > 0);
    if (!f) return undefined;
    f.times--;
    if (f.silent) return f;
    throw f.transient ? transient(`${this.name}: injected transient ${op} failure`) : permanent(`${this.name}: injected permanent ${op} failure`);
  }

  static key(kind: ForwardKind, t: ActionTarget): string {
    return `${kind}|${targetKey(t)}`;
  }

  async health() {
    return { ok: true, detail: `in-memory, ${this.state.size} effects in force` };
  }

  async observe(kind: ForwardKind, t: ActionTarget): Promise<boolean | undefined> {
    this.maybeFail('observe');
    if (kind === 'notify') return undefined;
    return this.state.has(MemoryConnector.key(kind, t));
  }

  async apply(kind: ForwardKind, t: ActionTarget, call: ConnectorCall): Promise<void> {
    this.calls.push({ op: 'apply', kind, key: targetKey(t), idempotencyKey: call.idempotencyKey, ttlMs: call.ttlMs });
    if (this.maybeFail('apply')?.silent) return;
    if (kind === 'notify' && t.type === 'channel') {
      this.sent.push({ channel: t.channel, subject: t.subject, message: call.message });
      return;
    }
    this.state.add(MemoryConnector.key(kind, t));
  }

  async revert(kind: ForwardKind, t: ActionTarget, call: ConnectorCall): Promise<void> {
    this.calls.push({ op: 'revert', kind, key: targetKey(t), idempotencyKey: call.idempotencyKey });
    if (this.maybeFail('revert')?.silent) return;
    this.state.delete(MemoryConnector.key(kind, t));
  }

  async renew(kind: ForwardKind, t: ActionTarget, call: ConnectorCall): Promise<void> {
    this.calls.push({ op: 'renew', kind, key: targetKey(t), idempotencyKey: call.idempotencyKey, ttlMs: call.ttlMs });
    if (!this.state.has(MemoryConnector.key(kind, t))) throw permanent(`${this.name}: nothing to renew for ${MemoryConnector.key(kind, t)}`);
  }

  protectedNetworks(): string[] {
    return this.mgmt;
  }
}
