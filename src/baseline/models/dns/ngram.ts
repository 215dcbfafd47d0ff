/**
 * A small character-bigram model of benign domain labels, built at load time from the word list
 * in benign-words.ts (Garrison's own data: common English words and brand-like labels found in
 * legitimate domain names). Algorithmically generated labels have transitions that are rare in
 * it; the mean log-probability per transition, the label's entropy and its digit share give a
 * 0..1 "generated-ness" score.
 */
import { BENIGN_WORDS } from './benign-words.js';
import { entropy } from '../../util.js';

const ALPHA = 'abcdefghijklmnopqrstuvwxyz0123456789-';
const N = ALPHA.length + 1; // + boundary symbol
const B = ALPHA.length;
const idx = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHA.length; i++) idx[ALPHA.charCodeAt(i)] = i;

const logp = new Float64Array(N * N);
(() => {
  const counts = new Float64Array(N * N);
  for (const w of BENIGN_WORDS) {
    let prev = B;
    for (let i = 0; i < w.length; i++) {
      const c = w.charCodeAt(i);
      const j = c < 128 ? idx[c] : -1;
      if (j < 0) continue;
      counts[prev * N + j]++;
      prev = j;
    }
    counts[prev * N + B]++;
  }
  for (let a = 0; a < N; a++) {
    let row = 0;
    for (let b = 0; b < N; b++) row += counts[a * N + b];
    for (let b = 0; b < N; b++) logp[a * N + b] = Math.log2((counts[a * N + b] + 0.1) / (row + 0.1 * N));
  }
})();

/** Mean log2-probability per transition of a label under the benign bigram model. */
export function meanLogProb(label: string): number {
  let prev = B;
  let sum = 0;
  let n = 0;
  for (let i = 0; i < label.length; i++) {
    const c = label.charCodeAt(i);
    const j = c < 128 ? idx[c] : -1;
    if (j < 0) continue;
    sum += logp[prev * N + j];
    n++;
    prev = j;
  }
  sum += logp[prev * N + B];
  n++;
  return sum / n;
}

export interface DgaScore {
  /** 0..1, higher = more like a generated name. */
  score: number;
  meanLogProb: number;
  entropy: number;
  digitShare: number;
}

/** Scores one label (the registered domain without its public suffix). */
export function dgaScore(label: string): DgaScore {
  const l = label.slice(0, 63);
  const mlp = meanLogProb(l);
  const h = entropy(l);
  let digits = 0;
  for (let i = 0; i < l.length; i++) {
    const c = l.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
  }
  const ds = l.length ? digits / l.length : 0;
  // benign words sit near -3.5 bits per transition, random letters near -6.5
  const sBigram = Math.max(0, Math.min(1, (-mlp - 4.3) / 1.7));
  const sLen = Math.max(0, Math.min(1, (l.length - 7) / 8));
  const sEnt = Math.max(0, Math.min(1, (h - 2.8) / 1.0));
  const sDig = ds > 0.15 && ds < 0.9 ? Math.min(1, ds * 2) : 0;
  const score = Math.max(0, Math.min(1, 0.6 * sBigram + 0.15 * sEnt + 0.15 * sDig + 0.1 * sBigram * sLen + 0.1 * sLen * sEnt));
  return { score, meanLogProb: mlp, entropy: h, digitShare: ds };
}
