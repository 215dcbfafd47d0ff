/**
 * The stages after detection, built by the engine in reverse order (each is given the consumer of
 * the next one): response ← investigation ← correlation; and the intel detector beside Sigma and
 * the baselines. Each is optional: a stage that the configuration disables is absent and the
 * chain stops before it.
 *
 * This file is the only place that knows the later stages' factories:
 *   createCorrelator (src/correlate)   SignalConsumer + EventConsumer (identity graph), writes incidents
 *   createInvestigator (src/investigate) IncidentConsumer, writes investigations and verdicts
 *   createResponder (src/respond)      VerdictConsumer, writes actions under the policy
 *   createIntelDetector (src/intel)    EventConsumer, raises intel signals
 *
 * Options under `engine.<stage>` besides `enabled` are passed to the stage (see docs/eval.md).
 */
import type { GarrisonEvent } from '../core/event.js';
import type { Logger } from '../core/logger.js';
import type { EventConsumer, IncidentConsumer, SignalConsumer, VerdictConsumer } from '../core/stages.js';
import { ContextIndex, createCorrelator, loadContextFiles, type CorrelationConfigInput } from '../correlate/index.js';
import { createIntelDetector, IntelIndex, loadIntelIndex, type IntelDetector } from '../intel/index.js';
import { createInvestigator, type InvestigatorConfig } from '../investigate/index.js';
import { createResponder, loadPolicyFile, type ConnectorSet, type ResponseContext } from '../respond/index.js';
import { registerResponder, resolveResponseSetup, unregisterResponder } from '../respond/service.js';
import type { Store } from '../store/port.js';
import type { ActionDoc } from '../respond/types.js';
import type { EngineConfig } from './config.js';

export interface LaterStageContext {
  store: Store;
  config: EngineConfig;
  logger: Logger;
  tenant: string;
  now: () => number;
  /** Where the intel detector sends the signals it raises (stored and correlated by the engine). */
  signals: SignalConsumer;
  /** Wraps a stage's consumer so that the engine counts and times what flows into it. */
  incidents: (next: IncidentConsumer | undefined) => IncidentConsumer;
  verdicts: (next: VerdictConsumer | undefined) => VerdictConsumer;
  /** Told about every change of a response action (live feed, bus). */
  actions?: (doc: ActionDoc) => void;
  /** Asset inventory and identity directory (eval: the simulated organization). Else `engine.correlation.contextFiles`. */
  context?: ContextIndex;
  /** Containment connectors (eval: an in-memory environment). Else the respond area's setup from the data directory. */
  connectors?: ConnectorSet;
  /** Data directory (policy.yaml, connectors.yaml). */
  dataDir?: string;
}

export interface LaterStages {
  intel?: EventConsumer;
  correlator?: SignalConsumer;
  /** The correlator's event side (identity graph: logons, DHCP, process lineage). */
  correlatorEvents?: EventConsumer;
  investigator?: IncidentConsumer;
  responder?: VerdictConsumer;
  /** Names of the stages that are built and enabled. */
  names: string[];
  close(): Promise<void>;
}

/** `engine.<stage>` without `enabled`. */
function optionsOf(section: { enabled: boolean } & Record<string, unknown>, drop: string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(section)) if (k !== 'enabled' && !drop.includes(k)) out[k] = v;
  return out;
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** Builds the later stages that are enabled. Throws on invalid stage options (reported at start). */
export async function buildLaterStages(ctx: LaterStageContext): Promise<LaterStages> {
  const names: string[] = [];
  const closers: (() => Promise<void> | void)[] = [];
  const out: LaterStages = {
    names,
    async close() {
      for (const c of closers) {
        try {
          await c();
        } catch (e) {
          ctx.logger.error({ err: e }, 'engine: closing a stage failed');
        }
      }
    },
  };
  const cfg = ctx.config;
  const intelIndex = cfg.intel.enabled || cfg.investigation.enabled ? await loadIntelIndex(ctx.store, ctx.tenant).catch(() => new IntelIndex()) : undefined;
  if (cfg.intel.enabled) {
    out.intel = await intelStage(ctx);
    names.push('intel');
  }
  if (!cfg.correlation.enabled) return out;

  const context = ctx.context ?? (strings(cfg.correlation.contextFiles).length ? loadContextFiles(strings(cfg.correlation.contextFiles)) : ContextIndex.empty());

  // Built back to front: each stage gets the (counting) consumer of the next.
  let responder: VerdictConsumer | undefined;
  if (cfg.response.enabled && cfg.investigation.enabled) {
    const o = cfg.response as Record<string, unknown>;
    const policyFile = typeof o.policy === 'string' ? o.policy : undefined;
    // Eval hands its own connectors (an in-memory environment). Otherwise the respond area's
    // setup: GARRISON_POLICY / <dataDir>/policy.yaml / the default policy, and
    // GARRISON_CONNECTORS / <dataDir>/connectors.yaml; without connectors, dry run.
    const setup = ctx.connectors
      ? { policy: loadPolicyFile(policyFile), connectors: ctx.connectors, dryRun: false }
      : resolveResponseSetup({ dataDir: ctx.dataDir ?? '.', policyFile, connectorsFile: typeof o.connectors === 'string' ? o.connectors : undefined });
    const r = createResponder({
      store: ctx.store,
      policy: setup.policy,
      connectors: setup.connectors,
      context: responseContext(context),
      now: ctx.now,
      dryRun: setup.dryRun || o.dryRun === true,
      logger: ctx.logger.child({ component: 'respond' }),
      onAction: ctx.actions,
    });
    // The API, the CLI and the expiry loop act through this responder (one mutex per store).
    registerResponder(ctx.store, r);
    responder = r;
    closers.push(async () => {
      unregisterResponder(ctx.store, r);
      await r.close();
    });
  }
  let investigator: IncidentConsumer | undefined;
  if (cfg.investigation.enabled) {
    const i = createInvestigator({
      store: ctx.store,
      context,
      intel: intelIndex,
      config: optionsOf(cfg.investigation) as InvestigatorConfig,
      next: ctx.verdicts(responder),
      now: ctx.now,
    });
    investigator = i;
    closers.unshift(() => i.close());
  }
  const c = createCorrelator({ store: ctx.store, config: optionsOf(cfg.correlation, ['contextFiles']) as CorrelationConfigInput, context, next: ctx.incidents(investigator), now: ctx.now });
  closers.unshift(() => c.close());
  out.correlator = c;
  out.correlatorEvents = c;
  out.investigator = investigator;
  out.responder = responder;
  names.push('correlation');
  if (investigator) names.push('investigation');
  if (responder) names.push('response');
  return out;
}

/**
 * The intel detector over the feeds stored in the store (collection `intel`, docs/intel.md). The
 * index is reloaded every `engine.intel.reloadMs` (default 60 s) so feeds added while the server
 * runs are used without a restart. Options: `minConfidence` (0..100), `reloadMs`.
 */
async function intelStage(ctx: LaterStageContext): Promise<EventConsumer> {
  const o = ctx.config.intel as { minConfidence?: unknown; reloadMs?: unknown };
  const minConfidence = typeof o.minConfidence === 'number' && o.minConfidence >= 0 && o.minConfidence <= 100 ? o.minConfidence : undefined;
  const reloadMs = typeof o.reloadMs === 'number' && o.reloadMs >= 1000 ? o.reloadMs : 60_000;
  let size = 0;
  const make = async (): Promise<IntelDetector> => {
    const index = await loadIntelIndex(ctx.store, ctx.tenant);
    size = index.size;
    return createIntelDetector({ index, onSignals: (s) => ctx.signals.onSignals(s), minConfidence });
  };
  let detector = await make();
  let loadedAt = Date.now();
  return {
    async onEvents(events: GarrisonEvent[]): Promise<void> {
      if (Date.now() - loadedAt >= reloadMs) {
        loadedAt = Date.now();
        try {
          detector = await make();
        } catch (e) {
          ctx.logger.error({ err: e }, 'engine: reloading the intel feeds failed; keeping the previous index');
        }
      }
      // No indicators loaded: nothing can match (saves a look-up per event and entity).
      if (size > 0) await detector.onEvents(events);
    },
  };
}

/** Response reads assets and identities through its own small interface; this adapts correlation's index to it. */
function responseContext(c: ContextIndex): ResponseContext {
  return {
    asset(host) {
      const a = c.host(host);
      return a ? { criticality: a.criticality as never, crownJewel: a.crownJewel, tags: [a.role, ...a.tags], ip: a.ips[0] } : undefined;
    },
    identity(account) {
      const i = c.user(account);
      return i ? { type: i.service ? 'service' : i.privileged ? 'privileged' : 'regular', privileged: i.privileged, tags: i.groups } : undefined;
    },
  };
}
