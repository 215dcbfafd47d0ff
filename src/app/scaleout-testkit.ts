/**
 * Test helpers for the scaled-out roles (src/app/*.test.ts, scaleout.integration.test.ts and
 * bench/scaleout): HEC envelopes of Winlogbeat Sysmon process creations, some of which are LSASS
 * dumps through comsvcs.dll that the built-in rule `comsvcs_minidump` detects. Not part of the product.
 */

/** Sigma id of the built-in rule the `recon` events match (rules/: LSASS dump via comsvcs.dll). */
export const COMSVCS_RULE = 'a22a578d-2792-491b-9876-2a75d09c827e';

export const T0 = Date.UTC(2026, 10, 23, 9, 0, 0);

/** One HEC envelope (JSON text) of a Sysmon process creation. `tag` makes ids unique per test run. */
export function hecProcessEvent(i: number, opts: { recon?: boolean; host?: string; tag?: string; t?: number } = {}): string {
  const time = opts.t ?? T0 + i * 1000;
  const host = opts.host ?? `WS${String(i % 50).padStart(3, '0')}.corp.example.org`;
  const tag = opts.tag ?? 'x';
  const event = {
    '@timestamp': new Date(time).toISOString(),
    winlog: {
      channel: 'Microsoft-Windows-Sysmon/Operational',
      provider_name: 'Microsoft-Windows-Sysmon',
      event_id: '1',
      record_id: `${tag}-${1000 + i}`,
      computer_name: host,
      event_data: opts.recon
        ? { Image: 'C:\\Windows\\System32\\rundll32.exe', CommandLine: `rundll32.exe C:\\Windows\\System32\\comsvcs.dll, MiniDump ${600 + i} C:\\Users\\Public\\${tag}-${i}.dmp full`, User: 'CORP\\eve' }
        : { Image: 'C:\\Windows\\System32\\notepad.exe', CommandLine: `notepad.exe C:\\Users\\eve\\${tag}-notes-${i}.txt`, User: 'CORP\\eve' },
    },
  };
  return JSON.stringify({ event, time: time / 1000, host, sourcetype: 'winlogbeat', source: 'scaleout-test' });
}

/** A HEC body of events from..to-1; every `reconEvery`-th one is an LSASS dump. */
export function hecBody(from: number, to: number, opts: { reconEvery?: number; tag?: string } = {}): { body: string; recon: number } {
  const parts: string[] = [];
  let recon = 0;
  for (let i = from; i < to; i++) {
    const r = opts.reconEvery !== undefined && opts.reconEvery > 0 && i % opts.reconEvery === 0;
    if (r) recon++;
    parts.push(hecProcessEvent(i, { recon: r, tag: opts.tag }));
  }
  return { body: parts.join('\n'), recon };
}
