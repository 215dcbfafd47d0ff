/**
 * Correlation configuration (zod): windows per entity kind, entity weights, what makes a cluster
 * of signals an incident, state bounds. Every field has a default; `parseCorrelationConfig`
 * reports every problem at once.
 */
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { GarrisonError, ProblemList } from '../core/errors.js';
import { LEVELS } from '../core/signal.js';
import { yamlLineOf } from '../core/yaml.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const ms = z.number().int().min(0).max(90 * 24 * HOUR);
const level = z.enum(LEVELS as unknown as [string, ...string[]]);

/** Kinds of correlation keys a signal carries (see docs/correlation.md). */
export const KEY_KINDS = ['process', 'logon', 'host', 'user', 'ip', 'domain', 'url', 'hash', 'file'] as const;
export type KeyKind = (typeof KEY_KINDS)[number];

export const correlationConfigSchema = z
  .object({
    /** How long after an entity was last seen in an incident a new signal naming it may still join (event time). */
    windows: z
      .object({
        process: ms.default(24 * HOUR),
        logon: ms.default(24 * HOUR),
        host: ms.default(2 * HOUR),
        user: ms.default(HOUR),
        ip: ms.default(24 * HOUR),
        domain: ms.default(24 * HOUR),
        url: ms.default(24 * HOUR),
        hash: ms.default(7 * 24 * HOUR),
        file: ms.default(6 * HOUR),
      })
      .strict()
      .prefault({}),
    /** Base weight of a shared entity of each kind (before rarity and role multipliers). */
    weights: z
      .object({
        process: z.number().min(0).max(10).default(1),
        logon: z.number().min(0).max(10).default(1),
        host: z.number().min(0).max(10).default(1),
        user: z.number().min(0).max(10).default(1),
        ip: z.number().min(0).max(10).default(1),
        domain: z.number().min(0).max(10).default(0.8),
        url: z.number().min(0).max(10).default(1),
        hash: z.number().min(0).max(10).default(1),
        file: z.number().min(0).max(10).default(0.4),
      })
      .strict()
      .prefault({}),
    /** A signal joins an incident when the weights of the entities they share (within their windows) add up to this. */
    joinThreshold: z.number().min(0.01).max(100).default(1),
    /** Multipliers by role: hubs (domain controller, proxy, DNS, scanner) and kinds of account. */
    roleWeights: z
      .object({
        hubHost: z.number().min(0).max(1).default(0.25),
        privilegedUser: z.number().min(0).max(1).default(0.6),
        serviceAccount: z.number().min(0).max(1).default(0.3),
        /** An internal IP that could not be resolved to a host. */
        unresolvedInternalIp: z.number().min(0).max(1).default(0.5),
      })
      .strict()
      .prefault({}),
    /** Host roles (asset inventory) treated as hubs. */
    hubRoles: z.array(z.string().min(1).max(64)).max(100).default(['domain_controller', 'dns', 'proxy', 'scanner', 'dhcp', 'gateway', 'vpn']),
    /** Entities that never link incidents (values compared lower-case): shared infrastructure, popular sites. */
    ignore: z
      .object({
        hosts: z.array(z.string().min(1).max(256)).max(10_000).default([]),
        users: z.array(z.string().min(1).max(256)).max(10_000).default([]),
        ips: z.array(z.string().min(1).max(64)).max(10_000).default([]),
        domains: z.array(z.string().min(1).max(256)).max(10_000).default([]),
      })
      .strict()
      .prefault({}),
    /**
     * Rarity: an IP, domain or URL seen (in events or signals) from at least this many distinct hosts
     * is ubiquitous and links nothing; one named by signals of at least `hubIncidents` open incidents
     * stops linking too.
     */
    rarity: z
      .object({
        ubiquitousHosts: z.number().int().min(2).max(100_000).default(10),
        hubIncidents: z.number().int().min(2).max(10_000).default(4),
      })
      .strict()
      .prefault({}),
    /** When a cluster of signals becomes an incident (persisted and handed on). Any one condition suffices. */
    publish: z
      .object({
        /** A signal of at least this level. */
        minLevel: level.default('high'),
        /** At least this many distinct detectors ... */
        minDetectors: z.number().int().min(1).max(100).default(2),
        /** ... counting only signals of at least this level. */
        detectorsMinLevel: level.default('low'),
        /** Or an incident score of at least this ... */
        minScore: z.number().min(0).max(100).default(70),
        /**
         * ... reached by at least this many signals: one medium signal on a critical asset is a
         * signal to look at in a hunt, not an incident on its own (its level says what its detector
         * thinks of it; a second signal joining it publishes the cluster).
         */
        minSignalsForScore: z.number().int().min(1).max(100).default(2),
      })
      .strict()
      .prefault({}),
    /** An incident with no new signal for this long (event time) is retired from memory; a later signal starts a new one. */
    idleMs: ms.default(48 * HOUR),
    /** State bounds (documented in docs/correlation.md). */
    limits: z
      .object({
        maxIncidents: z.number().int().min(10).max(10_000_000).default(50_000),
        maxSignalsPerIncident: z.number().int().min(10).max(1_000_000).default(2_000),
        maxKeysPerSignal: z.number().int().min(4).max(1_000).default(48),
        maxEntitiesPerIncident: z.number().int().min(10).max(100_000).default(500),
        maxKeys: z.number().int().min(100).max(100_000_000).default(1_000_000),
        maxSeenSignals: z.number().int().min(100).max(100_000_000).default(500_000),
        /** Identity graph: IP leases, account aliases, processes, logon sessions, popularity counters (each). */
        maxIdentityEntries: z.number().int().min(100).max(100_000_000).default(500_000),
        /** Ancestors walked up a process chain. */
        maxLineageDepth: z.number().int().min(0).max(64).default(12),
        /** Evidence events read per signal (see `evidenceLookups`). */
        maxEvidenceEvents: z.number().int().min(1).max(50).default(5),
        /** Internal hosts remembered per outside destination (egress resolution, see `egressMs`). */
        maxTalkersPerDestination: z.number().int().min(1).max(100).default(8),
      })
      .strict()
      .prefault({}),
    /** IP leases without fresh evidence expire after this long (DHCP lease time). */
    leaseMs: ms.default(12 * HOUR),
    /**
     * Lifetime of a logon session (from its 4624) for network, batch and service logons: logon ids
     * are reused after reboots, so an older session with the same id is not the one of a signal.
     * A logoff (4634/4647) ends a session earlier.
     */
    sessionMs: ms.default(24 * HOUR),
    /** The same for interactive, RDP and cached logons (users stay logged on for days). */
    interactiveSessionMs: ms.default(7 * 24 * HOUR),
    /** Look up the logon session of a signal's logon id in the store when no event told us about it. */
    storeLookups: z.boolean().default(true),
    /**
     * Read the evidence events of signals that name few entities (baseline anomalies, correlation
     * rules: they carry only the entity they model) and add what all their evidence agrees on
     * (the sign-in's source address, the account ...), plus the internal client behind a proxy or
     * gateway connection (see `egressMs`). One store read per batch.
     */
    evidenceLookups: z.boolean().default(true),
    /**
     * Egress resolution: a connection from a hub (proxy, gateway) to an outside destination is
     * attributed to the internal host that talked to that destination within this time, when
     * exactly one did (learned from proxy and flow logs).
     */
    egressMs: ms.default(10 * MIN),
    tenant: z.string().min(1).max(128).default('default'),
  })
  .strict();

export type CorrelationConfig = z.output<typeof correlationConfigSchema>;
export type CorrelationConfigInput = z.input<typeof correlationConfigSchema>;

/** Validates a config object; all problems are collected into one CORRELATE_CONFIG_INVALID. */
export function parseCorrelationConfig(input: unknown, file?: string, lineOf: (path: (string | number)[]) => number | undefined = () => undefined): CorrelationConfig {
  const r = correlationConfigSchema.safeParse(input ?? {});
  if (r.success) return r.data;
  const problems = new ProblemList();
  for (const i of r.error.issues) {
    const path = i.path.map((p) => (typeof p === 'symbol' ? String(p) : p));
    problems.add(new GarrisonError('CORRELATE_CONFIG_INVALID', `${path.join('.') || '(root)'}: ${i.message}`, { location: { file, line: lineOf(path), field: path.join('.') } }));
  }
  throw new GarrisonError('CORRELATE_CONFIG_INVALID', `correlation configuration is invalid:\n${problems.format()}`, {
    location: file ? { file, line: problems.problems[0]?.location?.line } : undefined,
    details: { problems: problems.problems.map((p) => p.toJSON()) },
  });
}

/** Reads a YAML (or JSON) correlation config file; problems carry file:line. */
export function loadCorrelationConfigFile(file: string): CorrelationConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new GarrisonError('CONFIG_NOT_FOUND', `correlation config ${file} cannot be read: ${(e as Error).message}`, { location: { file } });
  }
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length) {
    const problems = new ProblemList();
    for (const err of doc.errors) problems.add(new GarrisonError('CORRELATE_CONFIG_INVALID', `YAML: ${err.message.split('\n')[0]}`, { location: { file, line: lc.linePos(err.pos[0]).line } }));
    throw new GarrisonError('CORRELATE_CONFIG_INVALID', `correlation configuration is invalid:\n${problems.format()}`, { location: { file, line: problems.problems[0]?.location?.line }, details: { problems: problems.problems.map((p) => p.toJSON()) } });
  }
  return parseCorrelationConfig(doc.toJS() ?? {}, file, (path) => yamlLineOf(doc, lc, path));
}
