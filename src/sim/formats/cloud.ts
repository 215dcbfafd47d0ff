/**
 * Cloud telemetry: AWS CloudTrail records (as in the `Records` array of a CloudTrail log file)
 * and Microsoft Entra ID sign-in logs as Azure Monitor diagnostic settings export them
 * (category `SignInLogs`: top-level `time`, `resultType`, `callerIpAddress` plus `properties`).
 */
import type { Rng } from '../prng.js';
import type { Emit, Truth } from '../record.js';
import type { Org, User } from '../org/model.js';

export function uuid(rng: Rng): string {
  const h = rng.hex(32);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${'89ab'[rng.int(4)]}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function ctTime(t: number): string {
  return new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export interface AwsIdentity {
  type: 'IAMUser' | 'AssumedRole' | 'AWSService';
  userName: string;
  accessKeyId: string;
  principalId: string;
  role?: string;
}

export class CloudTrail {
  constructor(
    private readonly rng: Rng,
    private readonly org: Org,
  ) {}

  iamUser(name: string): AwsIdentity {
    const r = this.rng;
    return { type: 'IAMUser', userName: name, accessKeyId: 'AKIA' + r.hex(16).toUpperCase(), principalId: 'AIDA' + r.hex(17).toUpperCase() };
  }

  record(
    emit: Emit,
    t: number,
    id: AwsIdentity,
    c: { source: string; name: string; ip: string; ua: string; request?: Record<string, unknown> | null; response?: Record<string, unknown> | null; readOnly: boolean; data?: boolean; resources?: Record<string, unknown>[]; error?: { code: string; message: string } },
    truth?: Truth,
  ): void {
    const acct = this.org.file.cloud.accountId;
    const userIdentity: Record<string, unknown> =
      id.type === 'IAMUser'
        ? { type: 'IAMUser', principalId: id.principalId, arn: `arn:aws:iam::${acct}:user/${id.userName}`, accountId: acct, accessKeyId: id.accessKeyId, userName: id.userName }
        : {
            type: 'AssumedRole',
            principalId: `${id.principalId}:${id.userName}`,
            arn: `arn:aws:sts::${acct}:assumed-role/${id.role}/${id.userName}`,
            accountId: acct,
            accessKeyId: id.accessKeyId,
            sessionContext: {
              sessionIssuer: { type: 'Role', principalId: id.principalId, arn: `arn:aws:iam::${acct}:role/${id.role}`, accountId: acct, userName: id.role },
              attributes: { creationDate: ctTime(t - 600_000), mfaAuthenticated: 'false' },
            },
          };
    const rec: Record<string, unknown> = {
      eventVersion: c.data ? '1.09' : '1.08',
      userIdentity,
      eventTime: ctTime(t),
      eventSource: c.source,
      eventName: c.name,
      awsRegion: this.org.file.cloud.region,
      sourceIPAddress: c.ip,
      userAgent: c.ua,
    };
    if (c.error) {
      rec.errorCode = c.error.code;
      rec.errorMessage = c.error.message;
    }
    rec.requestParameters = c.request ?? null;
    rec.responseElements = c.response ?? null;
    if (c.data) rec.additionalEventData = { SignatureVersion: 'SigV4', CipherSuite: 'TLS_AES_128_GCM_SHA256', bytesTransferredIn: 0, AuthenticationMethod: 'AuthHeader', 'x-amz-id-2': this.rng.hex(48), bytesTransferredOut: 20_000 + this.rng.int(4_000_000) };
    rec.requestID = this.rng.hex(16).toUpperCase();
    rec.eventID = uuid(this.rng);
    rec.readOnly = c.readOnly;
    if (c.resources) rec.resources = c.resources;
    rec.eventType = 'AwsApiCall';
    rec.managementEvent = !c.data;
    rec.recipientAccountId = acct;
    rec.eventCategory = c.data ? 'Data' : 'Management';
    rec.tlsDetails = { tlsVersion: 'TLSv1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256', clientProvidedHostHeader: c.source.replace('.amazonaws.com', `.${this.org.file.cloud.region}.amazonaws.com`) };
    emit({ time: t, source: 'cloudtrail', host: c.source, event: rec, truth });
  }
}

export interface SignInWhere {
  ip: string;
  city: string;
  state: string;
  country: string;
  lat: number;
  lon: number;
}

export interface SignInDevice {
  name: string;
  os: string;
  browser: string;
  managed: boolean;
  deviceId: string;
}

/** Entra ID error codes used by the simulator (real AADSTS codes). */
export const ENTRA_RESULTS: Record<string, string> = {
  '0': '',
  '50126': 'Error validating credentials due to invalid username or password.',
  '50053': 'The account is locked, you have tried to sign in too many times with an incorrect user ID or password.',
  '50074': 'Strong Authentication is required.',
  '50140': 'This error occurred due to \'Keep me signed in\' interrupt when the user was signing in.',
};

export class EntraSignIn {
  constructor(
    private readonly rng: Rng,
    private readonly org: Org,
  ) {}

  signIn(emit: Emit, t: number, user: User | { upn: string; display: string; objectId: string }, c: { app: { name: string; id: string }; where: SignInWhere; device: SignInDevice | null; ua: string; result: string; interactive: boolean; clientApp?: string; risk?: string }, truth?: Truth): void {
    const id = uuid(this.rng);
    const corr = uuid(this.rng);
    const tenant = this.org.file.identity.tenantId;
    const failure = ENTRA_RESULTS[c.result] ?? 'Other';
    const props: Record<string, unknown> = {
      id,
      createdDateTime: new Date(t).toISOString(),
      userDisplayName: user.display,
      userPrincipalName: user.upn,
      userId: user.objectId,
      appId: c.app.id,
      appDisplayName: c.app.name,
      ipAddress: c.where.ip,
      clientAppUsed: c.clientApp ?? 'Browser',
      userAgent: c.ua,
      correlationId: corr,
      conditionalAccessStatus: c.result === '0' ? 'success' : 'notApplied',
      originalRequestId: id,
      isInteractive: c.interactive,
      tokenIssuerName: '',
      tokenIssuerType: 'AzureAD',
      authenticationRequirement: 'singleFactorAuthentication',
      riskDetail: 'none',
      riskLevelAggregated: 'none',
      riskLevelDuringSignIn: c.risk ?? 'none',
      riskState: 'none',
      resourceDisplayName: c.app.name,
      resourceId: c.app.id,
      status: c.result === '0' ? { errorCode: 0 } : { errorCode: Number(c.result), failureReason: failure },
      deviceDetail: c.device
        ? { deviceId: c.device.deviceId, displayName: c.device.name, operatingSystem: c.device.os, browser: c.device.browser, isCompliant: c.device.managed, isManaged: c.device.managed, trustType: c.device.managed ? 'Hybrid Azure AD joined' : '' }
        : { deviceId: '', operatingSystem: 'Windows10', browser: 'Chrome 119.0.0', isCompliant: false, isManaged: false },
      location: { city: c.where.city, state: c.where.state, countryOrRegion: c.where.country, geoCoordinates: { latitude: c.where.lat, longitude: c.where.lon } },
    };
    const rec: Record<string, unknown> = {
      time: new Date(t).toISOString(),
      resourceId: `/tenants/${tenant}/providers/Microsoft.aadiam`,
      operationName: 'Sign-in activity',
      operationVersion: '1.0',
      category: c.interactive ? 'SignInLogs' : 'NonInteractiveUserSignInLogs',
      tenantId: tenant,
      resultType: c.result,
      resultSignature: 'None',
      resultDescription: failure,
      durationMs: 0,
      callerIpAddress: c.where.ip,
      correlationId: corr,
      identity: user.display,
      Level: 4,
      location: c.where.country,
      properties: props,
    };
    emit({ time: t, source: 'signin', host: 'login.microsoftonline.com', event: rec, truth });
  }
}
