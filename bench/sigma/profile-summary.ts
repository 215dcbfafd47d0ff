/**
 * Summarises a V8 .cpuprofile: self time per function (top N), for the matcher's hot paths.
 *
 *   npx tsx bench/sigma/profile-summary.ts FILE.cpuprofile [N]
 */
import { readFileSync } from 'node:fs';

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number }; }
const file = process.argv[2];
if (!file) {
  console.error('usage: profile-summary FILE.cpuprofile [N]');
  process.exit(2);
}
const top = Number(process.argv[3] ?? 40);
const p = JSON.parse(readFileSync(file, 'utf8')) as { nodes: Node[]; samples: number[]; timeDeltas: number[] };
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const self = new Map<string, number>();
let total = 0;
p.samples.forEach((id, i) => {
  const n = byId.get(id)!;
  const cf = n.callFrame;
  const k = `${cf.functionName || '(anonymous)'}  ${cf.url.split('/').slice(-2).join('/')}:${cf.lineNumber + 1}:${cf.columnNumber + 1}`;
  const dt = p.timeDeltas[i] ?? 0;
  self.set(k, (self.get(k) ?? 0) + dt);
  total += dt;
});
for (const [k, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${((t / total) * 100).toFixed(1).padStart(5)}%  ${k}`);
