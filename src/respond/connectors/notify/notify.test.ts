import { createHmac } from 'node:crypto';
import { createServer as createHttp, type Server } from 'node:http';
import { createServer as createTcp, type Server as TcpServer } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LogConnector, SmtpConnector, WebhookConnector } from './notify.js';

const target = { type: 'channel' as const, channel: 'soc', subject: '[garrison] malicious: ransomware on NW-WS-07' };
const call = { actionId: 'act_1', idempotencyKey: 'garrison-act_1', message: 'Actions:\n- isolate_host host NW-WS-07: active' };

describe('webhook', () => {
  let server: Server;
  let url = '';
  const got: { headers: Record<string, unknown>; body: string }[] = [];
  let status = 200;
  beforeAll(async () => {
    server = createHttp((req, res) => {
      let b = '';
      req.on('data', (d) => (b += d));
      req.on('end', () => {
        got.push({ headers: req.headers, body: b });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`;
  });
  afterAll(() => server.close());

  it('posts a signed JSON message; 5xx is transient, 4xx permanent; it cannot be undone', async () => {
    process.env.GARRISON_TEST_HOOK_SECRET = 's3cret';
    const w = new WebhookConnector('soc', { url, secretEnv: 'GARRISON_TEST_HOOK_SECRET' });
    await w.apply('notify', target, call);
    const m = got.at(-1)!;
    expect(JSON.parse(m.body)).toEqual({ source: 'garrison', subject: target.subject, text: call.message, actionId: 'act_1' });
    expect(m.headers['x-garrison-signature']).toBe('sha256=' + createHmac('sha256', 's3cret').update(m.body).digest('hex'));
    expect(m.headers['idempotency-key']).toBe('garrison-act_1');
    expect(await w.observe()).toBeUndefined();
    status = 503;
    await expect(w.apply('notify', target, call)).rejects.toMatchObject({ code: 'RESPOND_CONNECTOR_UNAVAILABLE' });
    status = 403;
    await expect(w.apply('notify', target, call)).rejects.toMatchObject({ code: 'RESPOND_CONNECTOR_FAILED' });
    await expect(w.revert()).rejects.toMatchObject({ code: 'RESPOND_NOT_REVERSIBLE' });
    status = 200;
    const slack = new WebhookConnector('chat', { url, format: 'slack' });
    await slack.apply('notify', target, call);
    expect(JSON.parse(got.at(-1)!.body)).toEqual({ text: `*${target.subject}*\n${call.message}` });
  });
});

describe('smtp', () => {
  let server: TcpServer;
  let port = 0;
  const mails: string[] = [];
  let reject = false;
  beforeAll(async () => {
    // A minimal SMTP server: enough of RFC 5321 for one plain-text message per connection.
    server = createTcp((s) => {
      let data = false;
      let buf = '';
      let mail = '';
      s.write('220 test ESMTP\r\n');
      s.on('data', (d) => {
        buf += d.toString();
        let i: number;
        while ((i = buf.indexOf('\r\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 2);
          if (data) {
            if (line === '.') {
              data = false;
              mails.push(mail);
              s.write(reject ? '554 rejected\r\n' : '250 queued\r\n');
            } else mail += line + '\n';
            continue;
          }
          const cmd = line.slice(0, 4).toUpperCase();
          if (cmd === 'EHLO' || cmd === 'HELO') s.write('250 test\r\n');
          else if (cmd === 'DATA') {
            data = true;
            mail = '';
            s.write('354 go\r\n');
          } else if (cmd === 'QUIT') s.end('221 bye\r\n');
          else s.write('250 ok\r\n');
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as { port: number }).port;
  });
  afterAll(() => server.close());

  it('sends the message; a 5xx answer is a permanent failure', async () => {
    const c = new SmtpConnector('mail', { host: '127.0.0.1', port, from: 'garrison@example.org', to: ['soc@example.org'], timeoutMs: 3000 });
    expect((await c.health()).ok).toBe(true);
    await c.apply('notify', target, call);
    expect(mails).toHaveLength(1);
    expect(mails[0]).toMatch(/^Subject: \[garrison\] malicious: ransomware on NW-WS-07$/m);
    expect(mails[0]).toMatch(/X-Garrison-Action: act_1/);
    expect(mails[0]).toMatch(/isolate_host host NW-WS-07: active/);
    reject = true;
    await expect(c.apply('notify', target, call)).rejects.toMatchObject({ code: 'RESPOND_CONNECTOR_FAILED' });
    const down = new SmtpConnector('mail', { host: '127.0.0.1', port: 1, from: 'a@b.c', to: ['d@e.f'], timeoutMs: 500 });
    await expect(down.apply('notify', target, call)).rejects.toMatchObject({ code: 'RESPOND_CONNECTOR_UNAVAILABLE' });
  });
});

describe('log', () => {
  it('appends one JSON line per notification', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'garrison-log-'));
    try {
      const l = new LogConnector('audit-log', { file: join(dir, 'n.jsonl') });
      await l.apply('notify', target, call);
      await l.apply('notify', target, call);
      const lines = readFileSync(join(dir, 'n.jsonl'), 'utf8').trim().split('\n').map((x) => JSON.parse(x));
      expect(lines).toHaveLength(2);
      expect(lines[0]).toMatchObject({ channel: 'audit-log', subject: target.subject, actionId: 'act_1' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
