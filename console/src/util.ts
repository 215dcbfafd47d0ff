/** Formatting helpers. Everything returns plain strings: React renders them as text. */
export const LEVEL_ORDER = ['informational', 'low', 'medium', 'high', 'critical'];
export const levelRank = (l: string | undefined): number => Math.max(0, LEVEL_ORDER.indexOf(String(l)));

export function fmtTime(ms: number | undefined): string {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '-';
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? '-' : d.toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z');
}

export function fmtAgo(ms: number | undefined, now = Date.now()): string {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '-';
  const s = Math.round((now - ms) / 1000);
  const a = Math.abs(s);
  const v = a < 60 ? `${a}s` : a < 3600 ? `${Math.round(a / 60)}m` : a < 86400 ? `${Math.round(a / 3600)}h` : `${Math.round(a / 86400)}d`;
  return s >= 0 ? `${v} ago` : `in ${v}`;
}

export function fmtDuration(ms: number | undefined): string {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '-';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  if (s < 86400) {
    const m = Math.floor((s % 3600) / 60);
    return `${Math.floor(s / 3600)}h${m ? ` ${m}m` : ''}`;
  }
  const h = Math.floor((s % 86400) / 3600);
  return `${Math.floor(s / 86400)}d${h ? ` ${h}h` : ''}`;
}

/** Any value as display text, cut to `max` characters (objects as JSON). */
export function text(v: unknown, max = 500): string {
  let s: string;
  if (v === undefined || v === null) s = '';
  else if (typeof v === 'string') s = v;
  else if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') s = String(v);
  else {
    try {
      s = JSON.stringify(v);
    } catch {
      s = String(v);
    }
  }
  return s.length > max ? s.slice(0, max - 1) + '…' : s;
}

export const pct = (x: number | undefined) => (typeof x === 'number' && Number.isFinite(x) ? `${Math.round(x * 100)}%` : '-');

/** ATT&CK enterprise tactics in kill-chain order. */
export const TACTICS: [string, string][] = [
  ['TA0043', 'Reconnaissance'],
  ['TA0042', 'Resource Development'],
  ['TA0001', 'Initial Access'],
  ['TA0002', 'Execution'],
  ['TA0003', 'Persistence'],
  ['TA0004', 'Privilege Escalation'],
  ['TA0005', 'Defense Evasion'],
  ['TA0006', 'Credential Access'],
  ['TA0007', 'Discovery'],
  ['TA0008', 'Lateral Movement'],
  ['TA0009', 'Collection'],
  ['TA0011', 'Command and Control'],
  ['TA0010', 'Exfiltration'],
  ['TA0040', 'Impact'],
];
export const tacticName = (id: string) => TACTICS.find((t) => t[0] === id)?.[1] ?? id;
export const tacticRank = (id: string) => {
  const i = TACTICS.findIndex((t) => t[0] === id);
  return i < 0 ? TACTICS.length : i;
};

/**
 * Saves `data` as a JSON file: a Blob with type application/json behind a detached download link
 * (never navigated to, never rendered as a page).
 */
export function downloadJson(data: unknown, filename: string): void {
  const blob = new Blob([JSON.stringify(data, null, 2) + '\n'], { type: 'application/json' });
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename.replace(/[^A-Za-z0-9._-]/g, '_');
  a.rel = 'noopener';
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
