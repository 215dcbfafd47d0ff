/**
 * Notification channels (action kind `notify`; the channel name is the connector name):
 *
 *   webhook  HTTP POST of a JSON message (optionally signed: X-Garrison-Signature: sha256=HMAC
 *            of the body with a secret from the environment); 2xx = delivered.
 *   smtp     e-mail through an SMTP relay (nodemailer; STARTTLS when offered, optional auth);
 *            250 = accepted.
 *   log      a JSON line appended to a file (or the process log): always available.
 *
 * A notification cannot be read back or undone: observe() returns undefined, and verification
 * is the channel's own acceptance.
 */
import { createHmac } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import nodemailer from 'nodemailer';
import { z } from 'zod';
import { GarrisonError } from '../../../core/errors.js';
import type { ActionTarget, ForwardKind } from '../../types.js';
import { permanent, transient, type Connector, type ConnectorCall, type ConnectorHealth } from '../port.js';

interface Message {
  subject: string;
  text: string;
  actionId: string;
}

function message(t: ActionTarget, call: ConnectorCall): Message {
  if (t.type !== 'channel') throw new GarrisonError('RESPOND_PRECONDITION_FAILED', 'notifications need a channel target');
  return { subject: t.subject, text: call.message ?? t.subject, actionId: call.actionId };
}

abstract class NotifyBase implements Connector {
  abstract readonly type: string;
  readonly kinds: readonly ForwardKind[] = ['notify'];
  constructor(readonly name: string) {}
  abstract health(): Promise<ConnectorHealth>;
  abstract send(m: Message, idempotencyKey: string): Promise<void>;
  check(kind: ForwardKind, t: ActionTarget): string | undefined {
    return kind === 'notify' && t.type === 'channel' ? undefined : `${this.name} only sends notifications`;
  }
  async observe(): Promise<undefined> {
    return undefined;
  }
  async apply(_kind: ForwardKind, t: ActionTarget, call: ConnectorCall): Promise<void> {
    await this.send(message(t, call), call.idempotencyKey);
  }
  async revert(): Promise<void> {
    throw new GarrisonError('RESPOND_NOT_REVERSIBLE', 'a notification cannot be taken back');
  }
}

// ---------------------------------------------------------------------------------------- webhook

export const WebhookConfigSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/ }),
  headers: z.record(z.string(), z.string().max(8192)).default({}),
  /** Environment variable holding the HMAC secret; absent = unsigned. */
  secretEnv: z.string().regex(/^[A-Z_][A-Z0-9_]{0,127}$/).optional(),
  /** `json`: {subject,text,actionId,source}; `slack`: {text} (Slack / Mattermost / Teams incoming webhooks). */
  format: z.enum(['json', 'slack']).default('json'),
  timeoutMs: z.number().int().min(100).max(60_000).default(5000),
});
export type WebhookConfig = z.input<typeof WebhookConfigSchema>;

export class WebhookConnector extends NotifyBase {
  readonly type = 'webhook';
  private readonly cfg: z.output<typeof WebhookConfigSchema>;
  constructor(name: string, config: WebhookConfig) {
    super(name);
    this.cfg = WebhookConfigSchema.parse(config);
  }
  async health(): Promise<ConnectorHealth> {
    return { ok: true, detail: `POST ${new URL(this.cfg.url).origin} (not probed: a probe would post a message)` };
  }
  async send(m: Message, idempotencyKey: string): Promise<void> {
    const payload = this.cfg.format === 'slack' ? { text: `*${m.subject}*\n${m.text}` } : { source: 'garrison', subject: m.subject, text: m.text, actionId: m.actionId };
    const body = JSON.stringify(payload);
    const headers: Record<string, string> = { 'content-type': 'application/json', 'idempotency-key': idempotencyKey, ...this.cfg.headers };
    if (this.cfg.secretEnv) {
      const secret = process.env[this.cfg.secretEnv];
      if (!secret) throw permanent(`${this.name}: environment variable ${this.cfg.secretEnv} is not set`);
      headers['x-garrison-signature'] = 'sha256=' + createHmac('sha256', secret).update(body).digest('hex');
    }
    let res: Response;
    try {
      res = await fetch(this.cfg.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(this.cfg.timeoutMs), redirect: 'error' });
    } catch (e) {
      throw transient(`${this.name}: POST failed: ${(e as { cause?: Error }).cause?.message ?? (e as Error).message}`, e);
    }
    await res.arrayBuffer().catch(() => undefined);
    if (res.status >= 200 && res.status < 300) return;
    const msg = `${this.name}: webhook answered HTTP ${res.status}`;
    throw res.status === 429 || res.status >= 500 ? transient(msg) : permanent(msg);
  }
}

// ------------------------------------------------------------------------------------------- smtp

export const SmtpConfigSchema = z.strictObject({
  host: z.string().min(1).max(255),
  port: z.number().int().min(1).max(65535).default(587),
  /** Implicit TLS (port 465); otherwise STARTTLS is used when offered. */
  secure: z.boolean().default(false),
  /** Refuse to send without STARTTLS. */
  requireTls: z.boolean().default(false),
  user: z.string().max(256).optional(),
  passwordEnv: z.string().regex(/^[A-Z_][A-Z0-9_]{0,127}$/).optional(),
  from: z.string().min(3).max(320),
  to: z.array(z.string().min(3).max(320)).min(1).max(100),
  timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
  rejectUnauthorized: z.boolean().default(true),
});
export type SmtpConfig = z.input<typeof SmtpConfigSchema>;

export class SmtpConnector extends NotifyBase {
  readonly type = 'smtp';
  private readonly cfg: z.output<typeof SmtpConfigSchema>;
  constructor(name: string, config: SmtpConfig) {
    super(name);
    this.cfg = SmtpConfigSchema.parse(config);
  }
  private transport() {
    const c = this.cfg;
    const pass = c.passwordEnv ? process.env[c.passwordEnv] : undefined;
    if (c.passwordEnv && !pass) throw permanent(`${this.name}: environment variable ${c.passwordEnv} is not set`);
    return nodemailer.createTransport({
      host: c.host,
      port: c.port,
      secure: c.secure,
      requireTLS: c.requireTls,
      auth: c.user ? { user: c.user, pass } : undefined,
      connectionTimeout: c.timeoutMs,
      greetingTimeout: c.timeoutMs,
      socketTimeout: c.timeoutMs,
      tls: { rejectUnauthorized: c.rejectUnauthorized },
    });
  }
  async health(): Promise<ConnectorHealth> {
    const t = this.transport();
    try {
      await t.verify();
      return { ok: true, detail: `SMTP ${this.cfg.host}:${this.cfg.port} answers` };
    } catch (e) {
      return { ok: false, detail: `SMTP ${this.cfg.host}:${this.cfg.port}: ${(e as Error).message}` };
    } finally {
      t.close();
    }
  }
  async send(m: Message, idempotencyKey: string): Promise<void> {
    const t = this.transport();
    try {
      await t.sendMail({ from: this.cfg.from, to: this.cfg.to, subject: m.subject.replace(/[\r\n]+/g, ' '), text: m.text, messageId: `<${idempotencyKey}@garrison>`, headers: { 'X-Garrison-Action': m.actionId } });
    } catch (e) {
      const code = (e as { responseCode?: number }).responseCode;
      const msg = `${this.name}: SMTP ${this.cfg.host}:${this.cfg.port}: ${(e as Error).message}`;
      throw code !== undefined && code >= 500 && code < 600 ? permanent(msg, e) : transient(msg, e);
    } finally {
      t.close();
    }
  }
}

// -------------------------------------------------------------------------------------------- log

export const LogConfigSchema = z.strictObject({
  /** JSON lines file; absent = the process log (stderr). */
  file: z.string().min(1).optional(),
});
export type LogConfig = z.input<typeof LogConfigSchema>;

export class LogConnector extends NotifyBase {
  readonly type = 'log';
  private readonly cfg: z.output<typeof LogConfigSchema>;
  constructor(name: string, config: LogConfig = {}) {
    super(name);
    this.cfg = LogConfigSchema.parse(config);
  }
  async health(): Promise<ConnectorHealth> {
    return { ok: true, detail: this.cfg.file ? `appending to ${this.cfg.file}` : 'writing to stderr' };
  }
  async send(m: Message): Promise<void> {
    const line = JSON.stringify({ time: new Date().toISOString(), source: 'garrison', channel: this.name, ...m }) + '\n';
    if (!this.cfg.file) {
      process.stderr.write(line);
      return;
    }
    try {
      mkdirSync(dirname(this.cfg.file), { recursive: true });
      appendFileSync(this.cfg.file, line, { mode: 0o600 });
    } catch (e) {
      throw transient(`${this.name}: cannot append to ${this.cfg.file}: ${(e as Error).message}`, e);
    }
  }
}
