/**
 * The attack story across ATT&CK tactics: one lane per tactic (kill-chain order), each stage a
 * bar from its first to its last signal, on a shared time axis; below, the stages as sentences.
 */
import type { IncidentStage } from '../../../src/core/incident';
import { fmtDuration, fmtTime, tacticName, tacticRank, text } from '../util';

export function StageTimeline({ stages, from, to }: { stages: IncidentStage[]; from: number; to: number }) {
  if (!stages?.length) return <div className="muted">no stages</div>;
  const tactics = [...new Set(stages.map((s) => s.tactic))].sort((a, b) => tacticRank(a) - tacticRank(b));
  const t0 = Math.min(from, ...stages.map((s) => s.first));
  const t1 = Math.max(to, ...stages.map((s) => s.last), t0 + 1);
  const W = 900;
  const L = 180;
  const lane = 30;
  const H = 30 + tactics.length * lane;
  const x = (t: number) => L + ((t - t0) / (t1 - t0)) * (W - L - 20);
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => t0 + f * (t1 - t0));
  return (
    <div>
      <svg className="timeline" viewBox={`0 0 ${W} ${H}`} width="100%" role="img" aria-label="stage timeline" data-testid="timeline">
        {ticks.map((t, i) => (
          <g key={i}>
            <line x1={x(t)} x2={x(t)} y1={18} y2={H} className="tick" />
            <text x={x(t)} y={12} className="tick-label" textAnchor={i === 0 ? 'start' : i === ticks.length - 1 ? 'end' : 'middle'}>
              {fmtTime(t).slice(5, 19)}
            </text>
          </g>
        ))}
        {tactics.map((tac, i) => (
          <text key={tac} x={4} y={22 + i * lane + lane / 2} className="lane-label">
            {text(stages.find((s) => s.tactic === tac)?.tacticName || tacticName(tac), 26)}
          </text>
        ))}
        {stages.map((s, i) => {
          const li = tactics.indexOf(s.tactic);
          const x1 = x(s.first);
          const w = Math.max(6, x(s.last) - x1);
          return (
            <g key={i} className="stage-bar">
              <rect x={x1} y={22 + li * lane + 6} width={w} height={lane - 12} rx={3} />
              <title>{`${s.tacticName || tacticName(s.tactic)}: ${s.summary}`}</title>
            </g>
          );
        })}
      </svg>
      <ol className="stages" data-testid="stages">
        {stages.map((s, i) => (
          <li key={i}>
            <span className="tactic">{text(s.tacticName || tacticName(s.tactic), 60)}</span> <span className="muted">{fmtTime(s.first)} · {fmtDuration(s.last - s.first)}</span>
            <div>{text(s.summary, 400)}</div>
            <div className="muted small">
              {s.techniques?.length ? `techniques ${s.techniques.map((t) => text(t, 20)).join(', ')}` : ''}
              {s.hosts?.length ? ` · hosts ${s.hosts.slice(0, 8).map((h) => text(h, 60)).join(', ')}` : ''}
              {s.users?.length ? ` · users ${s.users.slice(0, 8).map((u) => text(u, 60)).join(', ')}` : ''}
              {` · ${s.signalIds?.length ?? 0} signal(s)`}
            </div>
          </li>
        ))}
      </ol>
    </div>
  );
}
