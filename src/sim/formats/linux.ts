/**
 * Linux telemetry: sshd/sudo/cron lines in /var/log/auth.log as rsyslog writes them with its
 * default RFC 3339 high-precision timestamp (Debian 12+), and auditd records in
 * /var/log/audit/audit.log with `name_format = hostname` (the `node=` prefix).
 */
import type { Host } from '../org/model.js';
import type { Rng } from '../prng.js';
import type { Emit, Truth } from '../record.js';

function rfc3339(t: number): string {
  const iso = new Date(t).toISOString(); // 2026-11-23T09:15:02.123Z
  return `${iso.slice(0, 23)}${String(t % 1000 === 0 ? 0 : (t * 7) % 1000).padStart(3, '0')}+00:00`;
}

export class LinuxHost {
  private serial: number;
  private pid: number;
  private session = 1;
  constructor(
    readonly host: Host,
    private readonly rng: Rng,
  ) {
    this.serial = 1000 + rng.int(100_000);
    this.pid = 2000 + rng.int(20_000);
  }

  nextPid(): number {
    this.pid += 1 + this.rng.int(40);
    if (this.pid > 4_000_000) this.pid = 2000;
    return this.pid;
  }

  syslog(emit: Emit, t: number, app: string, pid: number, msg: string, truth?: Truth): void {
    emit({ time: t, source: 'linux.auth', host: this.host.name, event: `${rfc3339(t)} ${this.host.name} ${app}[${pid}]: ${msg}`, truth });
  }

  sshAccepted(emit: Emit, t: number, user: string, srcIp: string, method: 'publickey' | 'password', truth?: Truth): number {
    const pid = this.nextPid();
    const port = 49152 + this.rng.int(16000);
    const fp = method === 'publickey' ? `: ED25519 SHA256:${Buffer.from(this.rng.hex(32), 'hex').toString('base64').replace(/=+$/, '')}` : '';
    this.syslog(emit, t, 'sshd', pid, `Accepted ${method} for ${user} from ${srcIp} port ${port} ssh2${fp}`, truth);
    this.syslog(emit, t + 3, 'sshd', pid, `pam_unix(sshd:session): session opened for user ${user}(uid=${uidOf(user)}) by (uid=0)`, truth);
    this.syslog(emit, t + 9, 'systemd-logind', 610, `New session ${this.session++} of user ${user}.`, truth);
    return pid;
  }

  sshFailed(emit: Emit, t: number, user: string, srcIp: string, invalid: boolean, truth?: Truth): void {
    const pid = this.nextPid();
    const port = 30000 + this.rng.int(35000);
    if (invalid) this.syslog(emit, t, 'sshd', pid, `Invalid user ${user} from ${srcIp} port ${port}`, truth);
    this.syslog(emit, t + 400, 'sshd', pid, `Failed password for ${invalid ? 'invalid user ' : ''}${user} from ${srcIp} port ${port} ssh2`, truth);
    this.syslog(emit, t + 700, 'sshd', pid, `Connection closed by ${invalid ? 'invalid user ' : 'authenticating user '}${user} ${srcIp} port ${port} [preauth]`, truth);
  }

  sudo(emit: Emit, t: number, user: string, cwd: string, command: string, truth?: Truth): void {
    const pid = this.nextPid();
    this.syslog(emit, t, 'sudo', pid, `${user} : TTY=pts/0 ; PWD=${cwd} ; USER=root ; COMMAND=${command}`, truth);
    this.syslog(emit, t + 2, 'sudo', pid, `pam_unix(sudo:session): session opened for user root(uid=0) by ${user}(uid=${uidOf(user)})`, truth);
  }

  cron(emit: Emit, t: number, user: string, truth?: Truth): void {
    const pid = this.nextPid();
    this.syslog(emit, t, 'CRON', pid, `pam_unix(cron:session): session opened for user ${user}(uid=${uidOf(user)}) by (uid=0)`, truth);
    this.syslog(emit, t + 250, 'CRON', pid, `pam_unix(cron:session): session closed for user ${user}`, truth);
  }

  /** An execve() as auditd records it: SYSCALL + EXECVE + CWD + PROCTITLE sharing one serial. */
  exec(emit: Emit, t: number, user: string, exe: string, argv: string[], cwd: string, ppid: number, truth?: Truth): number {
    const serial = this.serial++;
    const pid = this.nextPid();
    const uid = uidOf(user);
    const ts = `${Math.floor(t / 1000)}.${String(t % 1000).padStart(3, '0')}:${serial}`;
    const node = `node=${this.host.name} `;
    const comm = exe.slice(exe.lastIndexOf('/') + 1).slice(0, 15);
    const lines = [
      `${node}type=SYSCALL msg=audit(${ts}): arch=c000003e syscall=59 success=yes exit=0 a0=55d0c2a4b2a0 a1=55d0c2a4b300 a2=55d0c2a4b330 a3=8 items=2 ppid=${ppid} pid=${pid} auid=${uid} uid=${uid} gid=${uid} euid=${uid} suid=${uid} fsuid=${uid} egid=${uid} sgid=${uid} fsgid=${uid} tty=${uid === 0 ? '(none)' : 'pts0'} ses=${uid === 0 ? 4294967295 : this.session} comm="${comm}" exe="${exe}" subj=unconfined key="exec"`,
      `${node}type=EXECVE msg=audit(${ts}): argc=${argv.length} ${argv.map((a, i) => `a${i}=${auditStr(a)}`).join(' ')}`,
      `${node}type=CWD msg=audit(${ts}): cwd=${auditStr(cwd)}`,
      `${node}type=PROCTITLE msg=audit(${ts}): proctitle=${Buffer.from(argv.join('\0'), 'utf8').toString('hex').toUpperCase().slice(0, 256)}`,
    ];
    for (const l of lines) emit({ time: t, source: 'linux.audit', host: this.host.name, event: l, truth });
    return pid;
  }
}

/** auditd quotes printable values and hex-encodes values with spaces, quotes or control characters. */
function auditStr(s: string): string {
  return /^[\x21-\x7e]*$/.test(s) && !s.includes('"') ? `"${s}"` : Buffer.from(s, 'utf8').toString('hex').toUpperCase();
}

const UIDS: Record<string, number> = { root: 0, 'www-data': 33, backup: 34 };
export function uidOf(user: string): number {
  if (user in UIDS) return UIDS[user];
  let h = 0;
  for (let i = 0; i < user.length; i++) h = (h * 31 + user.charCodeAt(i)) % 900;
  return 1001 + h;
}
