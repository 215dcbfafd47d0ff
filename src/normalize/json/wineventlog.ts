/**
 * Splunk's classic `WinEventLog` text rendering (Splunk Universal Forwarder, renderXml=false):
 *
 *   01/02/2024 03:04:05 AM
 *   LogName=Security
 *   EventCode=4624
 *   ComputerName=DC01.corp.example
 *   SourceName=Microsoft Windows security auditing.
 *   RecordNumber=12345
 *   ...
 *   Message=An account was successfully logged on. (multi-line, to the end)
 *
 * Turned into the NXLog-like object the Windows normalization accepts (EventID, Channel,
 * Hostname, SourceName, EventTime, Message + the other header keys). Linear line scan.
 */
const MAX_HEADER_LINES = 64;

/** Parses the classic text form; undefined when the text does not look like it. */
export function parseWinEventLogText(text: string): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  let i = 0;
  let lines = 0;
  let sawCode = false;
  while (i < text.length && lines < MAX_HEADER_LINES) {
    let nl = text.indexOf('\n', i);
    if (nl < 0) nl = text.length;
    let line = text.slice(i, nl);
    if (line.endsWith('\r')) line = line.slice(0, -1);
    const next = nl + 1;
    lines++;
    const eq = line.indexOf('=');
    if (lines === 1 && eq < 0) {
      const t = parseUsTime(line.trim());
      if (t !== undefined) out.EventTime = new Date(t).toISOString();
      i = next;
      continue;
    }
    if (eq > 0 && eq < 40) {
      const key = line.slice(0, eq);
      if (key === 'Message') {
        out.Message = text.slice(i + eq + 1).replace(/\r\n/g, '\n').trimEnd();
        break;
      }
      const v = line.slice(eq + 1);
      if (key === 'EventCode') {
        out.EventID = /^\d{1,6}$/.test(v.trim()) ? Number(v.trim()) : v;
        sawCode = true;
      } else if (key === 'LogName') out.Channel = v;
      else if (key === 'ComputerName') out.Hostname = v;
      else out[key] = v;
    }
    i = next;
  }
  return sawCode && typeof out.Channel === 'string' ? out : undefined;
}

/** "01/02/2024 03:04:05 AM" (US order, 12-hour clock), treated as UTC. */
function parseUsTime(s: string): number | undefined {
  const m = /^(\d{1,2})\/(\d{1,2})\/(\d{4}) (\d{1,2}):(\d{2}):(\d{2})(?: ?([AP]M))?$/.exec(s.slice(0, 40));
  if (!m) return undefined;
  let h = Number(m[4]);
  if (m[7] === 'PM' && h < 12) h += 12;
  if (m[7] === 'AM' && h === 12) h = 0;
  const t = Date.UTC(Number(m[3]), Number(m[1]) - 1, Number(m[2]), h, Number(m[5]), Number(m[6]));
  return Number.isFinite(t) ? t : undefined;
}
