/**
 * Configuration of the engine (the composition root that runs detection → correlation →
 * investigation → response on stored events): the `engine:` section of the Garrison config.
 *
 * Every stage can be switched off. Stages written by other areas (intel, correlation,
 * investigation, response) take their own options object; it is passed through to their factory,
 * which validates it (their schemas own their settings).
 */
import { z } from 'zod';
import { baselineConfigSchema } from '../baseline/config.js';
import { CorrelationOptionsSchema } from '../detect/sigma/correlation/config.js';
import { SigmaConfigSchema } from '../detect/sigma/config.js';

/** A later stage: `enabled` plus its own options (validated by the stage). */
const stageSection = z.looseObject({ enabled: z.boolean().default(true) }).prefault({});

export const EngineConfigSchema = z
  .object({
    /** Run detection (and the later stages) on stored events inside `garrison serve`. */
    enabled: z.boolean().default(true),
    /** Events handed to the detectors at once (a page when catching up from the store). */
    batchSize: z.number().int().min(1).max(100_000).default(2_000),
    /**
     * Bound of the queue between the store and detection, in events. Committed batches are queued
     * with their events while under the bound; beyond it only their position is kept and the
     * engine reads them back from the store (by arrival sequence) when it gets there. Events are
     * never skipped; memory stays bounded.
     */
    maxQueuedEvents: z.number().int().min(1).max(10_000_000).default(50_000),
    /** How often the processed position and the baseline state are saved to the store. */
    checkpointMs: z.number().int().min(100).max(3_600_000).default(15_000),
    /** Where a fresh engine (no saved position) starts: every stored event, or only new ones. */
    startFrom: z.enum(['beginning', 'end']).default('beginning'),
    /**
     * Sigma correlation windows are closed up to (newest event time - this) after each batch, so
     * quiet groups still produce their window-end signals in the live stream.
     */
    correlationFlushLagMs: z.number().int().min(0).max(86_400_000).default(60_000),
    sigma: z
      .object({
        enabled: z.boolean().default(true),
        /** Load Garrison's built-in rule pack (`rules/`). */
        builtin: z.boolean().default(true),
        /** More rule files or directories. */
        rulePaths: z.array(z.string().min(1).max(4096)).max(1000).default([]),
        rules: SigmaConfigSchema.prefault({}),
        correlation: CorrelationOptionsSchema.prefault({}),
      })
      .strict()
      .prefault({}),
    baselines: z
      .object({
        enabled: z.boolean().default(true),
        /** The models' settings (docs/baselines.md). */
        config: baselineConfigSchema.prefault({}),
        /** Restore the saved baseline state (store key `baseline/state/v1`) at start. */
        restore: z.boolean().default(true),
      })
      .strict()
      .prefault({}),
    intel: stageSection,
    correlation: stageSection,
    investigation: stageSection,
    response: stageSection,
  })
  .strict();

export type EngineConfig = z.output<typeof EngineConfigSchema>;
export type EngineConfigInput = z.input<typeof EngineConfigSchema>;

/** The engine section with every default applied. */
export function defaultEngineConfig(input: EngineConfigInput = {}): EngineConfig {
  return EngineConfigSchema.parse(input);
}

/**
 * The `cluster:` section: which part of Garrison this process runs in a scaled-out deployment
 * (docs/deployment.md). The default, `role: all`, is the embedded single process.
 */
export const ROLES = ['all', 'ingest', 'engine'] as const;
export type Role = (typeof ROLES)[number];

export const ClusterConfigSchema = z
  .object({
    /**
     * all: ingest, API and engine in this process, stages called directly (the embedded default).
     * ingest: HEC/API/syslog ingest and the API; after each commit the stored events go to the bus.
     * engine: no ingest listeners; consumes stored events from the bus and runs detection → response.
     */
    role: z.enum(ROLES).default('all'),
    /** Name of this process in the deployment (logs, the live-feed consumer group); default: the host name. */
    node: z
      .string()
      .min(1)
      .max(40)
      .regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, _ and -')
      .optional(),
    /**
     * How several engine workers share the work. `single` (default, correct): one active worker
     * holds a lease (a PostgreSQL advisory lock); the others wait as hot standbys and take over
     * when it dies. `shared`: every worker consumes from the group at once (competing consumers) —
     * more throughput, but Sigma correlation windows, baselines and the correlator's identity
     * graph are per-process state and each worker sees only part of the stream.
     */
    engineWorkers: z.enum(['single', 'shared']).default('single'),
    /** Consumer group of the engine workers on the events topic (one group per deployment). */
    engineGroup: z
      .string()
      .regex(/^[A-Za-z0-9_-]{1,64}$/, '1-64 letters, digits, _ and -')
      .default('engine'),
    /** How often a standby worker tries to take the lease. */
    standbyPollMs: z.number().int().min(100).max(600_000).default(2_000),
    /** Events per bus message from ingest (a message also stays under the bus's maxMessageBytes). */
    eventsPerMessage: z.number().int().min(1).max(10_000).default(500),
    /** Messages per engine batch (each up to eventsPerMessage events). */
    engineBatchMessages: z.number().int().min(1).max(1_000).default(4),
    /**
     * Deliveries of an events batch before it is dead-lettered (the engine fails a batch whose
     * signals could not be stored; retries back off from 0.5 s doubling to 30 s: 20 ≈ 8 minutes).
     */
    engineMaxAttempts: z.number().int().min(1).max(1_000).default(20),
    /** Event ids an engine worker remembers to drop redelivered and re-sent events (0 = off). */
    engineDedupIds: z.number().int().min(0).max(10_000_000).default(200_000),
    /**
     * role ingest: relay incident, verdict and action changes published by engine workers on the
     * bus to this node's consoles (sub-second); the consoles' 2 s store poll stays as a safety net.
     */
    liveFromBus: z.boolean().default(true),
  })
  .strict();
export type ClusterConfig = z.output<typeof ClusterConfigSchema>;
