/**
 * What else each host did in the incident window: network destinations, new files, persistence,
 * logons — and other detections on the same host that are not part of the incident.
 */
import { z } from 'zod';
import { hostKey } from '../../core/event.js';
import type { EvidenceItem, StepModule } from '../types.js';
import { baseName, countBy, incidentEntities, isExternalIp, isMachineAccount, isOffice, isScriptHost, isUserWritable, q, uniq, LEVEL_RANK } from './util.js';

const params = z
  .object({
    maxHosts: z.number().int().min(1).max(50).default(4),
    maxEvents: z.number().int().min(10).max(10_000).default(1000),
    /** Cite at most this many events per item (the facts summarise all). */
    maxCites: z.number().int().min(1).max(1000).default(40),
  })
  .strict();

const EXEC_EXT = ['.exe', '.dll', '.ps1', '.bat', '.cmd', '.vbs', '.js', '.hta', '.scr', '.sys', '.lnk', '.jar'];

export const hostActivityStep: StepModule<z.output<typeof params>> = {
  type: 'host_activity',
  description: 'Network destinations, new files, persistence, logons and other detections on each host in the window.',
  params,
  async run(ctx) {
    const ents = incidentEntities(ctx.incident, ctx.signals, ctx.signalEvents);
    const hosts = ents.hosts.slice(0, ctx.params.maxHosts);
    if (ents.hosts.length > hosts.length) ctx.truncate(`${ents.hosts.length - hosts.length} hosts not examined (maxHosts)`);
    const { from, to } = ctx.window;
    const own = new Set(ctx.signals.map((s) => s.id));
    const items: EvidenceItem[] = [];
    const lim = ctx.params.maxEvents;
    const allSignals = await ctx.store.querySignals({ tenant: ctx.tenant, from, to, limit: 10_000 });
    for (const h of hosts) {
      const asset = ctx.context?.host(h);
      const ips = uniq([...(asset?.ips ?? []), ...[...ctx.signalEvents.values()].filter((e) => hostKey(e.entities.host) === h && e.entities.hostIp).map((e) => e.entities.hostIp!)]).slice(0, 4);
      const where = ips.length ? `(host:${q(h)} OR ${ips.map((ip) => `src_ip:${q(ip)}`).join(' OR ')})` : `host:${q(h)}`;

      // network
      const net = await ctx.search(`${where} AND (class:network_activity OR class:dns_activity OR class:http_activity)`, { from, to, limit: lim });
      if (net.truncated) ctx.truncate(`network activity of ${h} capped at ${lim} events`);
      const ext = net.events.filter((e) => (e.entities.dstIp && isExternalIp(e.entities.dstIp)) || e.entities.domain);
      const dests = countBy(ext, (e) => e.entities.domain?.toLowerCase() ?? e.entities.dstIp);
      const bytesOut = ext.reduce((s, e) => s + (Number.isFinite(e.entities.bytesOut) ? e.entities.bytesOut! : 0), 0);
      items.push(
        ctx.evidence({
          title: `${h}: ${Object.keys(dests).length} external destinations in the window (${net.events.length} network events${bytesOut ? `, ${Math.round(bytesOut / 1048576)} MiB out` : ''})`,
          query: net.query,
          eventIds: ext.slice(0, ctx.params.maxCites).map((e) => e.id),
          facts: { kind: 'host_network', host: h, events: net.events.length, destinations: dests, destinationCount: Object.keys(dests).length, bytesOut, truncated: net.truncated },
        }),
      );

      // files
      const files = await ctx.search(`host:${q(h)} AND class:file_activity`, { from, to, limit: lim });
      const execs = files.events.filter((e) => {
        const p = e.entities.file?.path?.toLowerCase() ?? '';
        return EXEC_EXT.some((x) => p.endsWith(x));
      });
      // written by a script host or an Office application: browsers, installers and per-user apps updating themselves are normal
      const writableExecs = execs.filter((e) => isUserWritable(e.entities.file?.path) && (isScriptHost(e.entities.process?.image) || isOffice(e.entities.process?.image)));
      const extCounts = countBy(files.events, (e) => {
        const p = e.entities.file?.path ?? '';
        const i = p.lastIndexOf('.');
        return i > 0 && p.length - i <= 10 ? p.slice(i).toLowerCase() : undefined;
      });
      items.push(
        ctx.evidence({
          title: `${h}: ${files.events.length} file events, ${writableExecs.length} executables or scripts written to user-writable folders`,
          query: files.query,
          eventIds: [...writableExecs, ...files.events.filter((e) => !writableExecs.includes(e))].slice(0, ctx.params.maxCites).map((e) => e.id),
          facts: {
            kind: 'host_files',
            host: h,
            events: files.events.length,
            executables: execs.length,
            writableExecutables: writableExecs.slice(0, 20).map((e) => ({ path: e.entities.file?.path, writer: baseName(e.entities.process?.image) })),
            writableExecutableCount: writableExecs.length,
            extensions: extCounts,
            truncated: files.truncated,
          },
        }),
      );

      // persistence
      const pers = await ctx.search(
        `host:${q(h)} AND (class:registry_value_activity OR class:registry_key_activity OR class:scheduled_job_activity OR class:windows_service_activity OR event_code:4698 OR event_code:7045 OR event_code:4720 OR event_code:4732)`,
        { from, to, limit: lim },
      );
      const runKeys = pers.events.filter((e) => /\\currentversion\\run/i.test(e.entities.registry?.key ?? ''));
      const writable = pers.events.filter((e) => isUserWritable(e.entities.registry?.data) || isUserWritable(e.entities.process?.commandLine) || isUserWritable(String(e.fields?.ImagePath ?? e.fields?.TaskContent ?? '')));
      items.push(
        ctx.evidence({
          title: `${h}: ${pers.events.length} persistence-related events (${runKeys.length} Run keys, ${writable.length} pointing into user-writable folders)`,
          query: pers.query,
          eventIds: [...writable, ...pers.events.filter((e) => !writable.includes(e))].slice(0, ctx.params.maxCites).map((e) => e.id),
          facts: { kind: 'host_persistence', host: h, events: pers.events.length, runKeys: runKeys.length, userWritable: writable.length, codes: countBy(pers.events, (e) => e.source.eventCode) },
        }),
      );

      // logons
      const logons = await ctx.search(`host:${q(h)} AND class:authentication`, { from, to, limit: lim });
      const fails = logons.events.filter((e) => e.entities.outcome === 'failure');
      // who logged on just before the incident began (the operator of remote admin tools)
      const firstSignal = Math.min(...ctx.signals.filter((s) => hostKey(s.entities.host) === h).map((s) => s.time), ctx.incident.firstSeen);
      const preceding = logons.events.filter((e) => e.entities.outcome !== 'failure' && e.time <= firstSignal && e.time >= firstSignal - 2 * 60_000 && !isMachineAccount(e.entities.targetUser ?? e.entities.user ?? ''));
      const lastLogon = preceding.reduce<(typeof preceding)[number] | undefined>((m, e) => (!m || e.time > m.time || (e.time === m.time && e.id > m.id) ? e : m), undefined);
      const operators = lastLogon ? [(lastLogon.entities.targetUser ?? lastLogon.entities.user)!.toLowerCase()] : [];
      items.push(
        ctx.evidence({
          title: `${h}: ${logons.events.length} logons in the window (${fails.length} failed) by ${Object.keys(countBy(logons.events, (e) => e.entities.targetUser ?? e.entities.user)).length} accounts`,
          query: logons.query,
          eventIds: uniq([...(lastLogon ? [lastLogon.id] : []), ...fails.map((e) => e.id), ...logons.events.map((e) => e.id)]).slice(0, ctx.params.maxCites),
          facts: {
            kind: 'host_logons',
            host: h,
            events: logons.events.length,
            failures: fails.length,
            accounts: countBy(logons.events, (e) => (e.entities.targetUser ?? e.entities.user)?.toLowerCase()),
            logonTypes: countBy(logons.events, (e) => (e.entities.logonType !== undefined ? String(e.entities.logonType) : undefined)),
            sources: countBy(logons.events, (e) => e.entities.srcIp),
            operators: operators.map((u) => ({ user: u, privileged: ctx.context?.user(u)?.privileged === true, service: ctx.context?.user(u)?.service === true })),
          },
        }),
      );

      // other detections on the host, not in this incident
      const others = allSignals.filter((s) => !own.has(s.id) && hostKey(s.entities.host) === h).sort((a, b) => a.time - b.time || (a.id < b.id ? -1 : 1));
      if (others.length) {
        const maxLevel = others.reduce((m, s) => (LEVEL_RANK[s.level] > LEVEL_RANK[m] ? s.level : m), 'informational' as string);
        items.push(
          ctx.evidence({
            title: `${h}: ${others.length} other detections in the window (highest ${maxLevel}): ${uniq(others.map((s) => s.title)).slice(0, 4).join('; ')}`,
            query: { lookup: 'signals', args: { host: h, from, to, ids: others.slice(0, 100).map((s) => s.id) } },
            eventIds: uniq(others.flatMap((s) => s.eventIds)).slice(0, ctx.params.maxCites),
            facts: {
              kind: 'host_other_signals',
              host: h,
              count: others.length,
              maxLevel,
              detectors: uniq(others.map((s) => s.detector)).sort(),
              tactics: uniq(others.flatMap((s) => s.attack.tactics)).sort(),
              sigmaHighOrAbove: others.filter((s) => s.kind !== 'anomaly' && LEVEL_RANK[s.level] >= 3).length,
              processes: uniq(others.map((s) => baseName(s.entities.process?.image)).filter(Boolean)).slice(0, 10),
            },
          }),
        );
      }
    }
    return items;
  },
};
