/**
 * Identity-provider sign-in and audit logs:
 * - Okta System Log events (`eventType`, `actor`, `client`, `outcome`, `published`):
 *   Sigma `product: okta, service: okta`.
 * - Microsoft Entra ID (Azure AD) sign-ins in their three common shapes: Microsoft Graph
 *   `signIn` objects (`createdDateTime`, `userPrincipalName`, `status.errorCode` …), Azure
 *   Monitor diagnostic records (`category: SignInLogs`, `properties: {...}`), and Log Analytics
 *   `SigninLogs` rows (`TimeGenerated`, `UserPrincipalName`, `ResultType` …):
 *   Sigma `product: azure, service: signinlogs`.
 * Fields stay as the producer wrote them; the envelope gets time, user, source IP, outcome.
 */
import type { EventEntities, OcsfClassName } from '../../core/event.js';
import type { Parser, ParseResult, RawRecord } from '../types.js';
import { buildEvent, compact, fail, isObject, parseTime } from '../json/common.js';
import { parseJsonObject } from '../json/parser.js';

function s(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined;
}

export function isOktaEvent(o: Record<string, unknown>): boolean {
  return typeof o.eventType === 'string' && isObject(o.actor) && (typeof o.published === 'string' || typeof o.uuid === 'string');
}

const AZURE_SIGNIN_CATEGORIES = new Set(['SignInLogs', 'NonInteractiveUserSignInLogs', 'ServicePrincipalSignInLogs', 'ManagedIdentitySignInLogs']);

export function isAzureSignin(o: Record<string, unknown>): boolean {
  if (typeof o.category === 'string' && AZURE_SIGNIN_CATEGORIES.has(o.category) && isObject(o.properties)) return true;
  if (typeof o.userPrincipalName === 'string' && typeof o.createdDateTime === 'string' && isObject(o.status)) return true;
  return typeof o.UserPrincipalName === 'string' && 'ResultType' in o && (typeof o.TimeGenerated === 'string' || typeof o.CreatedDateTime === 'string');
}

function upnSplit(upn: string): { user: string; domain?: string } {
  const at = upn.lastIndexOf('@');
  return at > 0 ? { user: upn, domain: upn.slice(at + 1) } : { user: upn };
}

export function normalizeOkta(o: Record<string, unknown>, raw: string, rec: RawRecord): ParseResult {
  const eventType = o.eventType as string;
  const actor = o.actor as Record<string, unknown>;
  const client = isObject(o.client) ? o.client : {};
  const outcome = isObject(o.outcome) ? o.outcome : {};
  const e: EventEntities = {};
  const user = s(actor.alternateId) ?? s(actor.displayName);
  if (user) {
    const u = upnSplit(user);
    e.user = u.user;
    if (u.domain) e.userDomain = u.domain;
  }
  e.srcIp = s(client.ipAddress);
  const res = s(outcome.result)?.toUpperCase();
  if (res) e.outcome = res === 'SUCCESS' || res === 'ALLOW' ? 'success' : res === 'FAILURE' || res === 'DENY' ? 'failure' : 'unknown';
  e.action = eventType;
  if (Array.isArray(o.target)) {
    const t = o.target.find((x) => isObject(x) && x.type === 'User') as Record<string, unknown> | undefined;
    if (t && s(t.alternateId)) e.targetUser = s(t.alternateId);
  }
  const cls: OcsfClassName = eventType.startsWith('user.authentication') || eventType.startsWith('user.session') || eventType.startsWith('policy.evaluate_sign_on')
    ? 'authentication'
    : eventType.startsWith('group.user_membership') ? 'group_management'
    : eventType.startsWith('user.lifecycle') || eventType.startsWith('user.account') || eventType.startsWith('user.mfa') ? 'account_change'
    : 'api_activity';
  return buildEvent(rec, raw, parseTime(o.published), { format: 'signin', product: 'okta', service: 'okta', channel: 'okta', eventCode: eventType.slice(0, 128) }, cls, compact(e), o);
}

export function normalizeAzureSignin(o: Record<string, unknown>, raw: string, rec: RawRecord): ParseResult {
  // The sign-in itself: diagnostic records nest it under properties.
  const p = isObject(o.properties) && typeof o.category === 'string' ? o.properties : o;
  const e: EventEntities = {};
  const upn = s(p.userPrincipalName) ?? s(p.UserPrincipalName) ?? s(o.identity);
  if (upn) {
    const u = upnSplit(upn);
    e.user = u.user;
    if (u.domain) e.userDomain = u.domain;
  }
  e.srcIp = s(p.ipAddress) ?? s(p.IPAddress) ?? s(o.callerIpAddress);
  const status = isObject(p.status) ? p.status : isObject(p.Status) ? p.Status : undefined;
  const code = s(status?.errorCode) ?? s(o.resultType) ?? s(p.ResultType);
  if (code !== undefined) e.outcome = code === '0' ? 'success' : 'failure';
  const app = s(p.appDisplayName) ?? s(p.AppDisplayName);
  if (app) e.action = app;
  const dev = isObject(p.deviceDetail) ? p.deviceDetail : isObject(p.DeviceDetail) ? p.DeviceDetail : undefined;
  if (dev && s(dev.displayName)) e.host = s(dev.displayName);
  const time = parseTime(o.time) ?? parseTime(p.createdDateTime) ?? parseTime(p.CreatedDateTime) ?? parseTime(p.TimeGenerated);
  const category = s(o.category) ?? 'SignInLogs';
  return buildEvent(rec, raw, time, { format: 'signin', product: 'azure', service: 'signinlogs', channel: category, eventCode: code }, 'authentication', compact(e), o);
}

export const signinParser: Parser = {
  name: 'signin',
  parse(rec: RawRecord): ParseResult {
    const r = parseJsonObject(rec);
    if ('ok' in r) return r;
    if (isOktaEvent(r.obj)) return normalizeOkta(r.obj, r.raw, rec);
    if (isAzureSignin(r.obj)) return normalizeAzureSignin(r.obj, r.raw, rec);
    return fail('PARSE_UNKNOWN_FORMAT', `${rec.origin}: not an Okta System Log event or an Entra ID sign-in`, rec);
  },
};
