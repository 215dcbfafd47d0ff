/**
 * AWS CloudTrail records (one record; files of `{"Records":[…]}` are split by file ingest).
 * product aws, service cloudtrail (Sigma's taxonomy), class api_activity; ConsoleLogin and the
 * sign-in events are authentication. errorCode (or a ConsoleLogin "Failure") gives the outcome.
 */
import type { EventEntities } from '../../core/event.js';
import type { Parser, ParseResult, RawRecord } from '../types.js';
import { buildEvent, compact, fail, isObject, looksLikeIp } from '../json/common.js';
import { parseJsonObject } from '../json/parser.js';

function s(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** True when the object has the shape of a CloudTrail record. */
export function isCloudTrailRecord(o: Record<string, unknown>): boolean {
  return typeof o.eventSource === 'string' && typeof o.eventName === 'string' && (typeof o.eventTime === 'string' || 'eventVersion' in o || 'awsRegion' in o);
}

const AUTH_EVENTS = new Set(['ConsoleLogin', 'CheckMfa', 'SwitchRole', 'ExitRole', 'RenewRole', 'GetSigninToken', 'AssumeRoleWithSAML', 'AssumeRoleWithWebIdentity', 'UserAuthentication', 'CredentialVerification', 'CredentialChallenge']);
const ACCOUNT_EVENTS = new Set(['CreateUser', 'DeleteUser', 'UpdateUser', 'CreateLoginProfile', 'UpdateLoginProfile', 'DeleteLoginProfile', 'CreateAccessKey', 'DeleteAccessKey', 'UpdateAccessKey', 'AttachUserPolicy', 'DetachUserPolicy', 'PutUserPolicy', 'AddUserToGroup', 'RemoveUserFromGroup', 'DeactivateMFADevice', 'EnableMFADevice']);

export function normalizeCloudTrail(o: Record<string, unknown>, raw: string, rec: RawRecord): ParseResult {
  const eventName = s(o.eventName);
  const eventSource = s(o.eventSource);
  if (!eventName || !eventSource) return fail('PARSE_CLOUDTRAIL_INVALID', `${rec.origin}: a CloudTrail record needs eventSource and eventName strings`, rec);
  const time = typeof o.eventTime === 'string' ? Date.parse(o.eventTime) : undefined;
  if (typeof o.eventTime === 'string' && !Number.isFinite(time)) {
    return fail('PARSE_CLOUDTRAIL_INVALID', `${rec.origin}: eventTime "${o.eventTime.slice(0, 40)}" is not an ISO 8601 time`, rec, { field: 'eventTime' });
  }
  const e: EventEntities = {};
  const ui = isObject(o.userIdentity) ? o.userIdentity : {};
  const arn = s(ui.arn);
  const sessionIssuer = isObject(ui.sessionContext) && isObject(ui.sessionContext.sessionIssuer) ? ui.sessionContext.sessionIssuer : undefined;
  let user = s(ui.userName) ?? (sessionIssuer ? s(sessionIssuer.userName) : undefined);
  if (!user && arn) {
    const slash = arn.lastIndexOf('/');
    user = slash >= 0 ? arn.slice(slash + 1) : s(ui.type) === 'Root' ? 'root' : undefined;
  }
  if (!user && s(ui.type) === 'Root') user = 'root';
  if (!user) user = s(ui.principalId);
  e.user = user;
  e.userDomain = s(ui.accountId) ?? s(o.recipientAccountId);
  e.userSid = arn;
  const ip = s(o.sourceIPAddress);
  if (ip) {
    if (looksLikeIp(ip)) e.srcIp = ip;
    else e.domain = ip; // AWS service principal, e.g. "ec2.amazonaws.com"
  }
  e.action = eventName;
  const errorCode = s(o.errorCode);
  const resp = isObject(o.responseElements) ? o.responseElements : undefined;
  if (eventName === 'ConsoleLogin' && resp && typeof resp.ConsoleLogin === 'string') e.outcome = resp.ConsoleLogin === 'Success' ? 'success' : 'failure';
  else e.outcome = errorCode ? 'failure' : 'success';
  const req = isObject(o.requestParameters) ? o.requestParameters : undefined;
  const target = req ? s(req.userName) : undefined;
  if (target) e.targetUser = target;
  const indicators: string[] = [];
  const key = s(ui.accessKeyId);
  if (key) indicators.push(key);
  if (indicators.length) e.indicators = indicators;
  const cls = AUTH_EVENTS.has(eventName) ? 'authentication' : ACCOUNT_EVENTS.has(eventName) ? 'account_change' : 'api_activity';
  return buildEvent(
    rec,
    raw,
    time,
    { format: 'cloudtrail', product: 'aws', service: 'cloudtrail', channel: eventSource, provider: eventSource, eventCode: eventName },
    cls,
    compact(e),
    o,
  );
}

export const cloudtrailParser: Parser = {
  name: 'cloudtrail',
  parse(rec: RawRecord): ParseResult {
    const r = parseJsonObject(rec);
    if ('ok' in r) return r;
    if (Array.isArray(r.obj.Records)) {
      return fail('PARSE_CLOUDTRAIL_INVALID', `${rec.origin}: a {"Records":[...]} file must be split into records (use garrison ingest), not sent as one event`, rec);
    }
    return normalizeCloudTrail(r.obj, r.raw, rec);
  },
};
