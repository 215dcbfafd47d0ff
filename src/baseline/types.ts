/**
 * The contract between the BaselineStage and its models.
 *
 * A model is a streaming component: it sees each event once (in the order the stage is given
 * them), updates bounded state and may emit anomaly candidates. The stage owns everything that
 * is common to all models: the learning period (event time), per-model thresholds and allow-lists,
 * analyst feedback, de-duplication (cooldown) and turning candidates into Signals.
 */
import { z } from 'zod';
import type { EventEntities, GarrisonEvent } from '../core/event.js';
import type { AttackRef } from '../core/signal.js';

/** Per-event values every model needs, computed once by the stage (lower-cased, trimmed). */
export interface EventView {
  ev: GarrisonEvent;
  time: number;
  classUid: number;
  /** hostKey(entities.host), or '' */
  host: string;
  /** acting user, lower-case, without domain, or '' */
  user: string;
  /** entities.targetUser lower-case, or '' */
  targetUser: string;
  /** process image lower-case, or '' */
  image: string;
  /** parent image lower-case, or '' */
  parentImage: string;
  /**
   * The network source of a connection / DNS / web event: its source address when a network
   * sensor reported it (Zeek, proxy, firewall CEF, syslog: there `host` is the sensor), else the
   * reporting host (Sysmon on the endpoint), else the source address. '' when none.
   */
  src: string;
  /** DNS name / HTTP host lower-case without trailing dot, or '' */
  domain: string;
  eventCode: string;
}

/** What a model reports; the stage decides whether it becomes a Signal. */
export interface Anomaly {
  /** Sub-detector inside the model, e.g. `first_seen_process`. */
  kind: string;
  /**
   * Stable description of *what* is unusual, without times: used for de-duplication, allow-lists
   * and analyst feedback. Format: `<model>.<kind> key=value key=value`, values lower-case.
   */
  pattern: string;
  title: string;
  /** 0..100 before feedback. */
  score: number;
  /** The entity the baseline belongs to. */
  entity: { type: 'host' | 'user' | 'process' | 'pair' | 'domain' | 'source' | 'group'; id: string };
  entities: EventEntities;
  /** The baseline: what was expected. */
  expected: Record<string, unknown>;
  /** What was seen. */
  seen: Record<string, unknown>;
  /** Why it is unusual, in words and numbers. */
  why: string;
  attack?: AttackRef;
  eventIds: string[];
  time: number;
}

export interface ModelContext {
  emit(a: Anomaly): void;
}

export interface BaselineModel {
  readonly name: string;
  /** Update state with one event; may emit anomalies. */
  observe(v: EventView, ctx: ModelContext): void;
  /** Called after each batch with the largest event time seen so far (closes time buckets). */
  flush?(watermark: number, ctx: ModelContext): void;
  /** JSON-serialisable state. */
  snapshot(): unknown;
  /** Replaces state from a snapshot; throws GarrisonError BASELINE_STATE_INVALID. */
  restore(state: unknown): void;
  /** Number of entities (keys) the model tracks now. */
  entityCount(): number;
}

/** Settings every model has; each model's schema extends this. */
export const commonModelConfig = {
  enabled: z.boolean().default(true),
  /** Learning period in event time from the first event the model sees: no signals before it ends. */
  learningMs: z.number().int().min(0).default(7 * 24 * 3600_000),
  /** Signals below this score (after feedback) are dropped. */
  threshold: z.number().min(0).max(100).default(50),
  /** Glob patterns (`*`, `?`) over the anomaly pattern (`model.kind key=value ...`); a match drops it. */
  allow: z.array(z.string().min(1).max(512)).max(10_000).default([]),
  /** The same pattern is signalled at most once per cooldown (event time). */
  cooldownMs: z.number().int().min(0).default(24 * 3600_000),
};

export interface ModelSpec<S extends z.ZodType = z.ZodType> {
  readonly name: string;
  readonly description: string;
  readonly schema: S;
  create(config: z.output<S>): BaselineModel;
}

export function defineModel<S extends z.ZodType>(spec: ModelSpec<S>): ModelSpec<S> {
  return spec;
}
