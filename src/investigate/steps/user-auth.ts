/**
 * The user's recent authentication and whether the incident's host, source address and hour are
 * usual for them: answered by the baselines when given, else from the user's stored history
 * before the incident window (first-seen on the host, share of activity at that hour).
 */
import { z } from 'zod';
import { hostKey } from '../../core/event.js';
import type { EvidenceItem, StepModule } from '../types.js';
import { countBy, incidentEntities, q, uniq } from './util.js';

const params = z
  .object({
    maxUsers: z.number().int().min(1).max(50).default(4),
    maxEvents: z.number().int().min(10).max(10_000).default(1000),
    /** Fewer history events than this: no opinion on "usual". */
    minHistory: z.number().int().min(1).max(10_000).default(20),
    /** An hour holding less than this share of the user's history is unusual. */
    unusualHourShare: z.number().min(0).max(1).default(0.02),
  })
  .strict();

export const userAuthStep: StepModule<z.output<typeof params>> = {
  type: 'user_auth',
  description: "Each user's recent authentication; whether host, source and hour are usual for them.",
  params,
  async run(ctx) {
    const ents = incidentEntities(ctx.incident, ctx.signals, ctx.signalEvents);
    const users = ents.users.slice(0, ctx.params.maxUsers);
    if (ents.users.length > users.length) ctx.truncate(`${ents.users.length - users.length} users not examined (maxUsers)`);
    const items: EvidenceItem[] = [];
    const { window, lookback } = ctx;
    const hour = new Date(window.from + Math.floor((Math.min(window.to, ctx.incident.lastSeen + 1) - window.from) / 2)).getUTCHours();
    const incidentHour = new Date(ctx.incident.firstSeen).getUTCHours();
    void hour;
    for (const u of users) {
      const who = `(user:${q(u)} OR target_user:${q(u)})`;
      const auth = await ctx.search(`${who} AND class:authentication`, { from: lookback.from, to: window.to, limit: ctx.params.maxEvents });
      const fails = auth.events.filter((e) => e.entities.outcome === 'failure');
      const inWindow = auth.events.filter((e) => e.time >= window.from);
      items.push(
        ctx.evidence({
          title: `${u}: ${auth.events.length} authentications in the look-back (${fails.length} failed, ${inWindow.length} in the window) from ${Object.keys(countBy(auth.events, (e) => e.entities.srcIp)).length} sources`,
          query: auth.query,
          eventIds: [...fails, ...inWindow, ...auth.events].map((e) => e.id).filter((v, i, a) => a.indexOf(v) === i).slice(0, 40),
          facts: {
            kind: 'user_auth',
            user: u,
            events: auth.events.length,
            failures: fails.length,
            inWindow: inWindow.length,
            hosts: countBy(auth.events, (e) => hostKey(e.entities.host)),
            sources: countBy(auth.events, (e) => e.entities.srcIp),
            truncated: auth.truncated,
          },
        }),
      );
      // history strictly before the window
      const hist = await ctx.search(who, { from: lookback.from, to: window.from, limit: ctx.params.maxEvents });
      const enough = hist.events.length >= ctx.params.minHistory;
      const hourCounts = new Array<number>(24).fill(0);
      for (const e of hist.events) hourCounts[new Date(e.time).getUTCHours()]++;
      const share = hist.events.length ? hourCounts[incidentHour] / hist.events.length : 0;
      const incHosts = ents.hosts;
      const histHosts = new Set(hist.events.map((e) => hostKey(e.entities.host)).filter(Boolean));
      const baselineHour = ctx.baselines?.usual?.({ user: u, hour: incidentHour });
      const newHosts = incHosts.filter((h) => !histHosts.has(h));
      const baselineHosts = incHosts.map((h) => ({ h, r: ctx.baselines?.usual?.({ user: u, host: h }) })).filter((x) => x.r);
      items.push(
        ctx.evidence({
          title: enough
            ? `${u}: ${hist.events.length} earlier events; ${newHosts.length ? `first time on ${newHosts.join(', ')}` : 'the hosts are usual'}; ${share < ctx.params.unusualHourShare ? `hour ${incidentHour}:00 UTC is unusual` : `hour ${incidentHour}:00 UTC is usual`} (${Math.round(share * 100)}% of history)`
            : `${u}: only ${hist.events.length} earlier events: too little history to judge what is usual`,
          query: hist.query,
          eventIds: hist.events.slice(0, 20).map((e) => e.id),
          facts: {
            kind: 'user_usual',
            user: u,
            history: hist.events.length,
            enoughHistory: enough,
            newHosts: enough ? newHosts : [],
            knownHosts: incHosts.filter((h) => histHosts.has(h)),
            hour: incidentHour,
            hourShare: Math.round(share * 1000) / 1000,
            unusualHour: enough ? (baselineHour ? !baselineHour.usual : share < ctx.params.unusualHourShare) : undefined,
            baseline: baselineHour || baselineHosts.length ? { hour: baselineHour, hosts: baselineHosts.map((x) => ({ host: x.h, ...x.r! })) } : undefined,
          },
        }),
      );
      // baseline anomalies about this user in the window
      const anomalies = (await ctx.store.querySignals({ tenant: ctx.tenant, from: window.from, to: window.to, limit: 10_000 }))
        .filter((s) => s.kind === 'anomaly' && (s.entities.user?.toLowerCase() === u || s.entities.targetUser?.toLowerCase() === u))
        .sort((a, b) => a.time - b.time || (a.id < b.id ? -1 : 1));
      if (anomalies.length) {
        items.push(
          ctx.evidence({
            title: `${u}: ${anomalies.length} behavioural anomalies in the window: ${uniq(anomalies.map((s) => s.title)).slice(0, 3).join('; ')}`,
            query: { lookup: 'signals', args: { user: u, kind: 'anomaly', ids: anomalies.slice(0, 100).map((s) => s.id) } },
            eventIds: uniq(anomalies.flatMap((s) => s.eventIds)).slice(0, 40),
            facts: { kind: 'user_anomalies', user: u, count: anomalies.length, detectors: uniq(anomalies.map((s) => s.detector)).sort() },
          }),
        );
      }
    }
    return items;
  },
};
