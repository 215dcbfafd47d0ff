/** Event counts over time as SVG bars (buckets over [from, to)). */
import { fmtTime } from '../util';

export function Histogram({ times, from, to, buckets = 60 }: { times: number[]; from?: number; to?: number; buckets?: number }) {
  if (times.length === 0) return <div className="muted">no events</div>;
  const t0 = from ?? Math.min(...times);
  const t1 = Math.max(to ?? Math.max(...times), t0 + 1);
  const counts = new Array<number>(buckets).fill(0);
  for (const t of times) {
    const i = Math.min(buckets - 1, Math.max(0, Math.floor(((t - t0) / (t1 - t0)) * buckets)));
    counts[i]++;
  }
  const max = Math.max(...counts, 1);
  const W = 900;
  const H = 90;
  const bw = W / buckets;
  return (
    <svg className="histogram" viewBox={`0 0 ${W} ${H + 16}`} width="100%" role="img" aria-label="events over time" data-testid="histogram">
      {counts.map((c, i) => (
        <g key={i}>
          <rect x={i * bw + 1} y={H - (c / max) * H} width={Math.max(1, bw - 2)} height={(c / max) * H} />
          <title>{`${fmtTime(t0 + (i * (t1 - t0)) / buckets)}: ${c}`}</title>
        </g>
      ))}
      <text x={0} y={H + 14} className="tick-label">
        {fmtTime(t0)}
      </text>
      <text x={W} y={H + 14} className="tick-label" textAnchor="end">
        {fmtTime(t1)}
      </text>
    </svg>
  );
}
