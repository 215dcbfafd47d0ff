/**
 * Every connector type, by name, with its config schema, the action kinds it can carry out and
 * its factory (an explicit typed map: nothing is discovered). And the loader of the connector
 * configuration file (YAML), collecting every problem with file:line:
 *
 *   connectors:
 *     - name: fw                 # unique; for notify connectors this is the channel name
 *       type: nftables
 *       actions: [block_ip, isolate_host]   # optional: default every kind the type supports
 *       config: { managementNetworks: [192.0.2.10] }
 */
import { existsSync, readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { z } from 'zod';
import { GarrisonError, ProblemList } from '../../core/errors.js';
import { FORWARD_KINDS, type ForwardKind } from '../types.js';
import { DnsmasqConfigSchema, DnsmasqConnector } from './dnsmasq/dnsmasq.js';
import { HttpConfigSchema, HttpConnector } from './http/http.js';
import { LdapConfigSchema, LdapConnector } from './ldap/ldap.js';
import { MemoryConfigSchema, MemoryConnector } from './memory/memory.js';
import { NftablesConfigSchema, NftablesConnector } from './nftables/nftables.js';
import { LogConfigSchema, LogConnector, SmtpConfigSchema, SmtpConnector, WebhookConfigSchema, WebhookConnector } from './notify/notify.js';
import { connectorSet, type Connector, type ConnectorSet } from './port.js';
import { yamlLineOf as lineOf } from '../../core/yaml.js';

interface ConnectorType<S extends z.ZodType> {
  schema: S;
  /** Kinds the type can do (an http connector: whatever its templates declare). */
  kinds: readonly ForwardKind[];
  create(name: string, config: z.output<S>, kinds?: readonly ForwardKind[]): Connector;
  summary: string;
}

const type = <S extends z.ZodType>(t: ConnectorType<S>): ConnectorType<S> => t;

export const CONNECTOR_TYPES = {
  nftables: type({ schema: NftablesConfigSchema, kinds: ['block_ip', 'isolate_host'], create: (n, c, k) => new NftablesConnector(n, c, k), summary: 'nftables table with block / isolation sets (Linux firewall or gateway)' }),
  dnsmasq: type({ schema: DnsmasqConfigSchema, kinds: ['block_domain'], create: (n, c) => new DnsmasqConnector(n, c), summary: 'DNS sinkhole through dnsmasq hosts / servers files + SIGHUP' }),
  ldap: type({ schema: LdapConfigSchema, kinds: ['disable_account', 'revoke_sessions'], create: (n, c, k) => new LdapConnector(n, c, k), summary: 'OpenLDAP with ppolicy: lock / unlock accounts, reset credentials' }),
  http: type({ schema: HttpConfigSchema, kinds: FORWARD_KINDS.filter((k) => k !== 'notify'), create: (n, c, k) => new HttpConnector(n, c, k), summary: 'templated HTTP requests for EDR / firewall / identity-provider APIs' }),
  webhook: type({ schema: WebhookConfigSchema, kinds: ['notify'], create: (n, c) => new WebhookConnector(n, c), summary: 'notification by HTTP POST' }),
  smtp: type({ schema: SmtpConfigSchema, kinds: ['notify'], create: (n, c) => new SmtpConnector(n, c), summary: 'notification by e-mail' }),
  log: type({ schema: LogConfigSchema, kinds: ['notify'], create: (n, c) => new LogConnector(n, c), summary: 'notification as a JSON line in a file' }),
  memory: type({ schema: MemoryConfigSchema, kinds: FORWARD_KINDS, create: (n, c, k) => new MemoryConnector(n, { ...c, kinds: k ? [...k] : c.kinds }), summary: 'in-memory stand-in (tests, simulations, demos)' }),
} as const;

export type ConnectorTypeName = keyof typeof CONNECTOR_TYPES;

const EntrySchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'names are letters, digits and _ . - (at most 64)'),
  type: z.enum(Object.keys(CONNECTOR_TYPES) as [ConnectorTypeName, ...ConnectorTypeName[]]),
  actions: z.array(z.enum(FORWARD_KINDS)).min(1).optional(),
  config: z.unknown().default({}),
});

export const ConnectorsFileSchema = z.strictObject({ connectors: z.array(EntrySchema).max(100).default([]) });


/** Parses connector configuration text; throws RESPOND_CONNECTORS_INVALID listing every problem. */
export function parseConnectors(text: string, file = '<inline>'): Connector[] {
  const problems = new ProblemList();
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const add = (path: (string | number)[], msg: string) =>
    problems.add(new GarrisonError('RESPOND_CONNECTORS_INVALID', `${path.join('.') || '(root)'}: ${msg}`, { location: { file, line: lineOf(doc, lc, path), field: path.join('.') } }));
  for (const err of doc.errors) {
    const pos = lc.linePos(err.pos[0]);
    problems.add(new GarrisonError('RESPOND_CONNECTORS_INVALID', `YAML: ${err.message.split('\n')[0]}`, { location: { file, line: pos.line, column: pos.col } }));
  }
  const out: Connector[] = [];
  if (problems.ok) {
    const res = ConnectorsFileSchema.safeParse(doc.toJS({ maxAliasCount: 100 }) ?? {});
    if (!res.success) {
      for (const i of res.error.issues) add(i.path.filter((x): x is string | number => typeof x !== 'symbol'), i.message);
    } else {
      const names = new Set<string>();
      res.data.connectors.forEach((e, i) => {
        if (names.has(e.name)) add(['connectors', i, 'name'], `duplicate connector name '${e.name}'`);
        names.add(e.name);
        const t = CONNECTOR_TYPES[e.type] as ConnectorType<z.ZodType>;
        const bad = (e.actions ?? []).filter((k) => !t.kinds.includes(k));
        if (bad.length) add(['connectors', i, 'actions'], `a ${e.type} connector cannot do ${bad.join(', ')} (it does ${t.kinds.join(', ')})`);
        const c = t.schema.safeParse(e.config ?? {});
        if (!c.success) {
          for (const x of c.error.issues) add(['connectors', i, 'config', ...x.path.filter((y): y is string | number => typeof y !== 'symbol')], x.message);
          return;
        }
        try {
          out.push(t.create(e.name, c.data, e.actions));
        } catch (err) {
          add(['connectors', i], (err as Error).message);
        }
      });
    }
  }
  if (!problems.ok) {
    throw new GarrisonError('RESPOND_CONNECTORS_INVALID', `the connector configuration has ${problems.problems.length} problem(s):\n${problems.format()}`, {
      location: { file, line: problems.problems[0]?.location?.line },
      details: { problems: problems.problems.map((p) => p.toJSON()) },
    });
  }
  return out;
}

export function loadConnectorsFile(file: string): ConnectorSet {
  if (!existsSync(file)) throw new GarrisonError('RESPOND_CONNECTORS_INVALID', `connector configuration ${file} does not exist`, { location: { file } });
  return connectorSet(parseConnectors(readFileSync(file, 'utf8'), file));
}
