import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { cloudtrailParser } from './parser.js';
import { parseRecord } from '../registry.js';
import type { RawRecord } from '../types.js';

const FIX = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const rec = (data: RawRecord['data'], format?: string): RawRecord => ({ data, origin: 'ct:0', input: 'test', tenant: 't', receivedAt: 0, format });

describe('CloudTrail', () => {
  const records = JSON.parse(readFileSync(path.join(FIX, 'records.json'), 'utf8')).Records;
  it('maps ConsoleLogin to authentication with its outcome and the Sigma aws/cloudtrail source', () => {
    const r = cloudtrailParser.parse(rec(records[0]));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.event.source).toMatchObject({ format: 'cloudtrail', product: 'aws', service: 'cloudtrail', channel: 'signin.amazonaws.com', eventCode: 'ConsoleLogin' });
    expect(r.event.class.name).toBe('authentication');
    expect(r.event.entities).toMatchObject({ user: 'carol', userDomain: '123', userSid: 'arn:aws:iam::123:user/carol', srcIp: '198.51.100.1', action: 'ConsoleLogin', outcome: 'failure' });
    expect(r.event.time).toBe(Date.UTC(2024, 1, 1));
    expect(r.event.fields).toEqual(records[0]);
  });
  it('errorCode means failure; IAM user changes are account_change', () => {
    const r = cloudtrailParser.parse(rec(records[1]));
    expect(r.ok && r.event.entities.outcome).toBe('failure');
    expect(r.ok && r.event.class.name).toBe('account_change');
  });
  it('assumed roles, service principals and access keys', () => {
    const r = parseRecord(rec(JSON.stringify({
      eventVersion: '1.08', eventTime: '2024-03-01T00:00:00Z', eventSource: 's3.amazonaws.com', eventName: 'GetObject', sourceIPAddress: 'ec2.amazonaws.com',
      userIdentity: { type: 'AssumedRole', principalId: 'AROA:i-1', arn: 'arn:aws:sts::1:assumed-role/app/i-1', accessKeyId: 'ASIAXXX', sessionContext: { sessionIssuer: { userName: 'app' } } },
    }), 'aws:cloudtrail'));
    expect(r.ok && r.event.entities).toMatchObject({ user: 'app', domain: 'ec2.amazonaws.com', outcome: 'success', indicators: ['ASIAXXX'] });
    expect(r.ok && r.event.class.name).toBe('api_activity');
  });
  it('rejects malformed records and whole Records documents sent as one event', () => {
    for (const bad of ['{"eventName":"x"}', '{"eventSource":"a","eventName":"b","eventTime":"never"}', '{"Records":[]}']) {
      const r = cloudtrailParser.parse(rec(bad));
      expect(r.ok, bad).toBe(false);
      if (!r.ok) expect(r.error.code).toBe('PARSE_CLOUDTRAIL_INVALID');
    }
  });
});
