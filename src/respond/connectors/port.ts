/**
 * The connector contract. A connector carries out forward action kinds on a real system and their
 * undo, and reads the state back so the executor can verify both. Connectors throw GarrisonError:
 * RESPOND_CONNECTOR_UNAVAILABLE for transient failures (retried with back-off by the executor),
 * RESPOND_CONNECTOR_FAILED for permanent ones, RESPOND_TARGET_INVALID / RESPOND_PRECONDITION_FAILED
 * for targets they cannot address.
 */
import { GarrisonError } from '../../core/errors.js';
import type { ActionTarget, ForwardKind } from '../types.js';

export interface ConnectorCall {
  actionId: string;
  /** Stable per action and operation: a retried call carries the same key. */
  idempotencyKey: string;
  /** Extra text for notifications (incident summary, action list). */
  message?: string;
  /** Time to live of a reversible action: connectors that can make the system expire it themselves do (a backstop if Garrison is down). */
  ttlMs?: number;
}

export interface ConnectorHealth {
  ok: boolean;
  detail: string;
}

export interface Connector {
  /** Instance name from the configuration (also the channel name of a notify connector). */
  readonly name: string;
  /** Implementation: 'nftables', 'dnsmasq', 'ldap', 'http', 'webhook', 'smtp', 'log', 'memory'. */
  readonly type: string;
  /** Forward kinds this instance carries out (their undo kinds come with them). */
  readonly kinds: readonly ForwardKind[];
  health(): Promise<ConnectorHealth>;
  /** Why this connector cannot address the target (e.g. a host without a known address), or undefined. */
  check?(kind: ForwardKind, target: ActionTarget): string | undefined;
  /**
   * Whether the effect of `kind` on `target` is in effect now, read from the real system.
   * undefined = cannot be read back (a notification): verification relies on the call's own answer.
   */
  observe(kind: ForwardKind, target: ActionTarget): Promise<boolean | undefined>;
  /** Brings the effect about. Must be idempotent (applying twice = applying once). */
  apply(kind: ForwardKind, target: ActionTarget, call: ConnectorCall): Promise<void>;
  /** Removes the effect. Idempotent. Only for reversible kinds. */
  revert(kind: ForwardKind, target: ActionTarget, call: ConnectorCall): Promise<void>;
  /** Extends a system-side expiry set by apply (call.ttlMs = the new TTL from now). Optional. */
  renew?(kind: ForwardKind, target: ActionTarget, call: ConnectorCall): Promise<void>;
  /** Networks this connector needs to keep reachable (management allow-list): never blocked. */
  protectedNetworks?(): string[];
  /** Accounts this connector itself uses: never disabled. */
  protectedAccounts?(): string[];
  close?(): Promise<void>;
}

/** The configured connectors, routed by action kind (notifications by channel = connector name). */
export interface ConnectorSet {
  forKind(kind: ForwardKind, target?: ActionTarget): Connector | undefined;
  list(): readonly Connector[];
  channels(): string[];
  protectedNetworks(): string[];
  protectedAccounts(): string[];
  close(): Promise<void>;
}

export function connectorSet(connectors: Connector[]): ConnectorSet {
  const names = new Set<string>();
  for (const c of connectors) {
    if (names.has(c.name)) throw new GarrisonError('RESPOND_CONNECTORS_INVALID', `two connectors are named '${c.name}'`);
    names.add(c.name);
  }
  return {
    forKind(kind, target) {
      if (kind === 'notify') {
        const ch = target?.type === 'channel' ? target.channel : undefined;
        return connectors.find((c) => c.kinds.includes('notify') && (ch === undefined || c.name === ch));
      }
      return connectors.find((c) => c.kinds.includes(kind));
    },
    list: () => connectors,
    channels: () => connectors.filter((c) => c.kinds.includes('notify')).map((c) => c.name),
    protectedNetworks: () => connectors.flatMap((c) => c.protectedNetworks?.() ?? []),
    protectedAccounts: () => connectors.flatMap((c) => c.protectedAccounts?.() ?? []),
    async close() {
      await Promise.allSettled(connectors.map((c) => c.close?.()));
    },
  };
}

export const transient = (msg: string, cause?: unknown): GarrisonError => new GarrisonError('RESPOND_CONNECTOR_UNAVAILABLE', msg, { cause });
export const permanent = (msg: string, cause?: unknown): GarrisonError => new GarrisonError('RESPOND_CONNECTOR_FAILED', msg, { cause });

/** Kinds a connector type is able to carry out, for config validation. */
export type Capabilities = readonly ForwardKind[];
