/** The zod schema of the organization model file (src/sim/org/default-org.yaml is the default). */
import { z } from 'zod';
import ipaddr from 'ipaddr.js';

const ipv4 = z.string().refine((s) => ipaddr.IPv4.isValidFourPartDecimal(s), { message: 'expected a dotted IPv4 address' });
const cidr4 = z.string().refine(
  (s) => {
    try {
      const [a, len] = ipaddr.parseCIDR(s);
      return a.kind() === 'ipv4' && len >= 8 && len <= 28;
    } catch {
      return false;
    }
  },
  { message: 'expected an IPv4 CIDR prefix between /8 and /28' },
);
const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._$-]{0,62}$/, 'expected a host or account name (letters, digits, . _ - $)');

export const SERVER_ROLES = ['domain_controller', 'file_server', 'app_server', 'database', 'backup', 'web_server', 'linux_server', 'scanner'] as const;
export const CRITICALITY = ['low', 'medium', 'high', 'critical'] as const;

const accountSpec = z.strictObject({ name, display: z.string().min(1).max(120), groups: z.array(z.string().min(1).max(80)).default([]) });

export const OrgFileSchema = z.strictObject({
  name: z.string().min(1).max(120),
  netbiosDomain: z.string().regex(/^[A-Z0-9-]{1,15}$/, 'expected an upper-case NetBIOS name of at most 15 characters'),
  dnsDomain: z.string().regex(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/, 'expected a lower-case DNS domain'),
  emailDomain: z.string().regex(/^[a-z0-9-]+(\.[a-z0-9-]+)+$/, 'expected a lower-case DNS domain'),
  workHours: z.strictObject({ start: z.number().int().min(0).max(23), end: z.number().int().min(1).max(24) }).refine((w) => w.end > w.start, { message: 'end must be after start' }),
  network: z.strictObject({
    workstationPrefix: cidr4,
    serverPrefix: cidr4,
    dnsServers: z.array(ipv4).min(1),
    proxy: z.strictObject({ ip: ipv4, port: z.number().int().min(1).max(65535) }),
    egressIp: ipv4,
    officeLocation: z.strictObject({ city: z.string().min(1), country: z.string().length(2), ip: ipv4 }),
  }),
  workstations: z.strictObject({ count: z.number().int().min(1).max(100_000), namePrefix: z.string().regex(/^[A-Za-z0-9-]{1,8}$/), os: z.literal('windows') }),
  regularUsers: z.strictObject({ count: z.number().int().min(1).max(200_000), groups: z.array(z.string().min(1)).default([]) }),
  admins: z.array(accountSpec).min(1),
  serviceAccounts: z.array(accountSpec).default([]),
  servers: z
    .array(
      z.strictObject({
        name,
        role: z.enum(SERVER_ROLES),
        os: z.enum(['windows', 'linux']),
        ip: ipv4,
        criticality: z.enum(CRITICALITY),
        owner: name,
      }),
    )
    .min(1),
  destinations: z.array(z.strictObject({ domain: z.string().min(3), ip: ipv4, weight: z.number().positive() })).min(1),
  updateServers: z.array(z.strictObject({ domain: z.string().min(3), ip: ipv4 })).min(1),
  cloud: z.strictObject({
    accountId: z.string().regex(/^\d{12}$/, 'expected a 12-digit AWS account id'),
    region: z.string().regex(/^[a-z]{2}-[a-z]+-\d$/),
    buckets: z.array(z.string().regex(/^[a-z0-9.-]{3,63}$/)).min(1),
    roles: z.array(z.string().min(1)).min(1),
  }),
  identity: z.strictObject({
    provider: z.literal('entra_id'),
    tenantId: z.guid(),
    apps: z.array(z.strictObject({ name: z.string().min(1), id: z.guid() })).min(1),
  }),
});

export type OrgFile = z.infer<typeof OrgFileSchema>;
