import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { GarrisonError, isGarrisonError } from '../core/errors.js';
import { expandOrg, loadOrgFile } from '../sim/org/model.js';
import { contextFromOrg, loadContextFiles, parseCsv } from './context.js';

const FX = (n: string): string => fileURLToPath(new URL(`./fixtures/${n}`, import.meta.url));

describe('context: asset inventory and identity directory', () => {
  it('loads YAML and CSV files and looks up by name, FQDN, IP and any alias', () => {
    const c = loadContextFiles([FX('assets.yaml'), FX('identities.csv')]);
    expect(c.host('db01.corp.example')).toMatchObject({ name: 'DB01', criticality: 'critical', crownJewel: true, owner: 'dba.lee', tags: ['pci'] });
    expect(c.host('DB01')?.key).toBe('db01');
    expect(c.host('10.10.1.13')?.name).toBe('DB01');
    expect(c.hostByIp('10.20.0.11')?.name).toBe('WS01');
    expect(c.isHub(c.host('dc01')!)).toBe(true);
    expect(c.isHub(c.host('db01')!)).toBe(false);
    for (const alias of ['alice', 'CORP\\Alice', 'alice@corp.example', 'S-1-5-21-1-2-3-1001', '0F0F0F0F-0000-4000-8000-000000000001']) expect(c.user(alias)?.key, alias).toBe('alice');
    expect(c.user('dba.lee')).toMatchObject({ display: 'Lee, DBA', privileged: true, groups: ['DBA', 'Staff'] });
    expect(c.user('svc_backup')).toMatchObject({ service: true });
    expect(c.isExternalName('login.microsoftonline.com')).toBe(true);
    expect(c.isExternalName('db01.corp.example')).toBe(false);
    expect(c.isExternalName('new-host.corp.example')).toBe(false);
  });

  it('reports every problem of every file with file:line', () => {
    let err: unknown;
    try {
      loadContextFiles([FX('bad.yaml'), FX('bad.csv'), FX('bad2.csv'), FX('missing.yaml')]);
    } catch (e) {
      err = e;
    }
    expect(isGarrisonError(err, 'CORRELATE_CONTEXT_INVALID')).toBe(true);
    const problems = ((err as GarrisonError).details!.problems as { message: string; location: { file: string; line?: number } }[]).map((p) => `${p.location.file.split('/').pop()}:${p.location.line ?? '-'} ${p.message}`);
    expect(problems).toEqual([
      expect.stringMatching(/^bad\.yaml:4 assets\.1\.criticality/),
      expect.stringMatching(/^bad\.yaml:5 assets\.2\.name/),
      expect.stringMatching(/^bad\.yaml:8 identities\.0\.privileged/),
      expect.stringMatching(/^bad\.csv:1 unknown column "colour"/),
      expect.stringMatching(/^bad2\.csv:2 crown_jewel: expected true\/false/),
      expect.stringMatching(/^bad2\.csv:3 criticality/),
      expect.stringMatching(/^bad2\.csv:4 expected 4 cells, found 2/),
      expect.stringMatching(/^missing\.yaml:- cannot read/),
    ]);
  });

  it('parses quoted CSV cells with commas, quotes and newlines, keeping line numbers', () => {
    expect(parseCsv('a,b\r\n"x, y","say ""hi"""\n"multi\nline",z\nlast,1')).toEqual([
      { line: 1, cells: ['a', 'b'] },
      { line: 2, cells: ['x, y', 'say "hi"'] },
      { line: 3, cells: ['multi\nline', 'z'] },
      { line: 5, cells: ['last', '1'] },
    ]);
  });

  it('converts the simulator organization: hosts, crown jewels, hubs, accounts with aliases', () => {
    const org = expandOrg(loadOrgFile(), 1);
    const c = contextFromOrg(org);
    // every host, plus the proxy and the egress address (the DNS server is the domain controller)
    expect(c.assets.length).toBe(org.hosts.length + 2);
    expect(c.host('NW-SQL01')).toMatchObject({ role: 'database', criticality: 'critical', crownJewel: true, owner: 'adm.okafor' });
    expect(c.host('nw-sql01.corp.northwind.example')?.name).toBe('NW-SQL01');
    expect(c.isHub(c.host('NW-DC01')!)).toBe(true);
    expect(c.isHub(c.host(org.file.network.proxy.ip)!)).toBe(true);
    expect(c.isHub(c.host(org.file.network.egressIp)!)).toBe(true);
    const admin = org.users.find((u) => u.name === 'adm.jensen')!;
    for (const a of [admin.upn, admin.sid, admin.objectId, `NORTHWIND\\adm.jensen`]) expect(c.user(a)?.key).toBe('adm.jensen');
    expect(c.user('adm.jensen')?.privileged).toBe(true);
    expect(c.user('svc_backup')?.service).toBe(true);
    expect(c.isExternalName('login.microsoftonline.com')).toBe(true);
  });
});
