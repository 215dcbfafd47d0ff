/**
 * HEC indexer acknowledgement: per data channel, each request that carried events gets an
 * ackId; the ack turns true only when the pipeline's submit promise resolved (the events are
 * committed to the store). As in Splunk, an ack reported true is then forgotten, unknown or
 * pending ids are reported false, and memory is bounded: at most `maxChannels` channels,
 * `maxAcksPerChannel` outstanding acks per channel (oldest dropped), idle channels expire.
 */
import { GarrisonError } from '../../core/errors.js';

export const CHANNEL_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export interface AckOptions {
  maxChannels: number;
  maxAcksPerChannel: number;
  channelIdleMs: number;
  now?: () => number;
}

interface Channel {
  next: number;
  /** ackId → committed? (insertion order = age). */
  acks: Map<number, boolean>;
  lastUsed: number;
}

export class AckRegistry {
  private readonly channels = new Map<string, Channel>();
  private readonly now: () => number;
  private lastSweep = 0;

  constructor(private readonly opts: AckOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** Validates a channel id (a GUID, as Splunk requires). */
  static check(channel: string): void {
    if (!CHANNEL_RE.test(channel)) {
      throw new GarrisonError('HEC_BAD_CHANNEL', 'the data channel must be a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)', { location: { field: 'X-Splunk-Request-Channel' } });
    }
  }

  private channel(id: string, create: boolean): Channel | undefined {
    this.sweep();
    const key = id.toLowerCase();
    let ch = this.channels.get(key);
    if (!ch && create) {
      if (this.channels.size >= this.opts.maxChannels) {
        throw new GarrisonError('HEC_BAD_CHANNEL', `too many open data channels (limit ${this.opts.maxChannels}); reuse a channel`, { location: { field: 'X-Splunk-Request-Channel' } });
      }
      ch = { next: 0, acks: new Map(), lastUsed: this.now() };
      this.channels.set(key, ch);
    }
    if (ch) ch.lastUsed = this.now();
    return ch;
  }

  /** Allocates the next ackId on the channel, pending (false). */
  begin(channel: string): number {
    const ch = this.channel(channel, true)!;
    const id = ch.next++;
    ch.acks.set(id, false);
    if (ch.acks.size > this.opts.maxAcksPerChannel) {
      const oldest = ch.acks.keys().next().value as number;
      ch.acks.delete(oldest);
    }
    return id;
  }

  /** The events of ackId are durably stored. */
  complete(channel: string, ackId: number): void {
    const ch = this.channels.get(channel.toLowerCase());
    if (ch && ch.acks.has(ackId)) ch.acks.set(ackId, true);
  }

  /** Storing failed: the ack will never be true (the client resends after its timeout). */
  fail(channel: string, ackId: number): void {
    this.channels.get(channel.toLowerCase())?.acks.delete(ackId);
  }

  /** Splunk's ack query: true for committed ids (then forgotten), false otherwise. */
  query(channel: string, ids: number[]): Record<string, boolean> {
    const ch = this.channel(channel, false);
    const out: Record<string, boolean> = {};
    for (const id of ids) {
      const v = ch?.acks.get(id) === true;
      out[String(id)] = v;
      if (v) ch!.acks.delete(id);
    }
    return out;
  }

  get size(): { channels: number; pending: number } {
    let pending = 0;
    for (const ch of this.channels.values()) for (const v of ch.acks.values()) if (!v) pending++;
    return { channels: this.channels.size, pending };
  }

  private sweep(): void {
    const t = this.now();
    if (t - this.lastSweep < Math.min(10_000, this.opts.channelIdleMs)) return;
    this.lastSweep = t;
    for (const [k, ch] of this.channels) if (t - ch.lastUsed > this.opts.channelIdleMs) this.channels.delete(k);
  }
}
