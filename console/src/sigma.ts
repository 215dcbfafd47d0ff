/**
 * Turns a hunt query (docs/search.md) into a Sigma rule draft (YAML text to copy; never run).
 * The query is parsed into AND / OR / NOT over `field OP value` and full-text terms, expanded to
 * OR-of-ANDs, and each AND becomes named selections / keyword lists / filters. Parts Sigma cannot
 * say (time bounds, queries too large to expand) are left as comments for the author.
 */
type Ast = { t: 'and' | 'or'; items: Ast[] } | { t: 'not'; item: Ast } | { t: 'cmp'; field: string; op: string; value: string } | { t: 'term'; value: string };

interface Tok {
  k: 'lp' | 'rp' | 'and' | 'or' | 'not' | 'word' | 'cmp';
  v: string;
  field?: string;
  op?: string;
}

function lex(q: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  const readValue = (): string => {
    if (q[i] === '"') {
      let s = '';
      i++;
      while (i < q.length && q[i] !== '"') {
        if (q[i] === '\\' && i + 1 < q.length && '"\\*?'.includes(q[i + 1])) i++;
        s += q[i++];
      }
      i++;
      return s;
    }
    let s = '';
    while (i < q.length && !/[\s()]/.test(q[i])) {
      if (q[i] === '\\' && i + 1 < q.length) s += q[i++];
      s += q[i++];
    }
    return s;
  };
  while (i < q.length) {
    const c = q[i];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === '(') {
      out.push({ k: 'lp', v: c });
      i++;
      continue;
    }
    if (c === ')') {
      out.push({ k: 'rp', v: c });
      i++;
      continue;
    }
    const m = /^([A-Za-z_@#][A-Za-z0-9_.@#-]*)(!=|>=|<=|:|=|>|<)/.exec(q.slice(i));
    if (m) {
      i += m[0].length;
      out.push({ k: 'cmp', field: m[1], op: m[2], v: readValue() });
      continue;
    }
    const w = readValue();
    if (w === 'AND') out.push({ k: 'and', v: w });
    else if (w === 'OR') out.push({ k: 'or', v: w });
    else if (w === 'NOT') out.push({ k: 'not', v: w });
    else out.push({ k: 'word', v: w });
  }
  return out;
}

export function parseQuery(q: string): Ast {
  const toks = lex(q.slice(0, 8192));
  let p = 0;
  let depth = 0;
  const or = (): Ast => {
    const items = [and()];
    while (toks[p]?.k === 'or') {
      p++;
      items.push(and());
    }
    return items.length === 1 ? items[0] : { t: 'or', items };
  };
  const and = (): Ast => {
    const items = [not()];
    while (p < toks.length && toks[p].k !== 'or' && toks[p].k !== 'rp') {
      if (toks[p].k === 'and') p++;
      items.push(not());
    }
    return items.length === 1 ? items[0] : { t: 'and', items };
  };
  const not = (): Ast => {
    if (toks[p]?.k === 'not') {
      p++;
      return { t: 'not', item: not() };
    }
    return primary();
  };
  const primary = (): Ast => {
    const tk = toks[p++];
    if (!tk) throw new Error('the query ends too early');
    if (tk.k === 'lp') {
      if (++depth > 64) throw new Error('nested too deeply');
      const e = or();
      if (toks[p]?.k !== 'rp') throw new Error("missing ')'");
      p++;
      depth--;
      return e;
    }
    if (tk.k === 'cmp') return { t: 'cmp', field: tk.field!, op: tk.op!, value: tk.v };
    if (tk.k === 'word') return { t: 'term', value: tk.v };
    throw new Error(`unexpected '${tk.v}'`);
  };
  if (toks.length === 0) return { t: 'and', items: [] };
  const r = or();
  if (p < toks.length) throw new Error(`unexpected '${toks[p].v}'`);
  return r;
}

type Lit = { neg: boolean; node: Extract<Ast, { t: 'cmp' } | { t: 'term' }> };

/** OR-of-ANDs of literals; undefined when it would exceed `max` conjunctions. */
function dnf(a: Ast, neg = false, max = 16): Lit[][] | undefined {
  if (a.t === 'not') return dnf(a.item, !neg, max);
  if (a.t === 'cmp' || a.t === 'term') return [[{ neg, node: a }]];
  const isAnd = (a.t === 'and') !== neg;
  const parts = a.items.map((x) => dnf(x, neg, max));
  if (parts.some((x) => x === undefined)) return undefined;
  if (!isAnd) {
    const all = parts.flat() as Lit[][];
    return all.length > max ? undefined : all;
  }
  let acc: Lit[][] = [[]];
  for (const part of parts as Lit[][][]) {
    const next: Lit[][] = [];
    for (const x of acc) for (const y of part) next.push([...x, ...y]);
    if (next.length > max) return undefined;
    acc = next;
  }
  return acc;
}

/** Garrison envelope fields → Sigma (Sysmon / Windows taxonomy) field names. */
const FIELD_MAP: Record<string, string> = {
  host: 'Computer',
  user: 'User',
  'process.image': 'Image',
  'process.command_line': 'CommandLine',
  'process.commandLine': 'CommandLine',
  'process.pid': 'ProcessId',
  'process.guid': 'ProcessGuid',
  'process.user': 'User',
  'process.integrity_level': 'IntegrityLevel',
  'process.sha256': 'Hashes',
  'process.md5': 'Hashes',
  'parent.image': 'ParentImage',
  'parent.command_line': 'ParentCommandLine',
  'parent.commandLine': 'ParentCommandLine',
  'parent.pid': 'ParentProcessId',
  src_ip: 'SourceIp',
  srcIp: 'SourceIp',
  dst_ip: 'DestinationIp',
  dstIp: 'DestinationIp',
  src_port: 'SourcePort',
  dst_port: 'DestinationPort',
  domain: 'QueryName',
  url: 'Url',
  'file.path': 'TargetFilename',
  'registry.key': 'TargetObject',
  'registry.data': 'Details',
  event_code: 'EventID',
  eventCode: 'EventID',
  logon_type: 'LogonType',
  target_user: 'TargetUserName',
};
const LOGSOURCE = new Set(['product', 'service', 'category']);
const sigmaField = (f: string) => (f.startsWith('fields.') ? f.slice(7) : (FIELD_MAP[f] ?? f));

/** A YAML scalar that is always plain data: single-quoted, quotes doubled, one line. */
export function yq(s: string): string {
  // eslint-disable-next-line no-control-regex
  return `'${String(s).replace(/[\u0000-\u001f\u007f\u2028\u2029]/g, ' ').replace(/'/g, "''")}'`;
}
const yk = (k: string) => (/^[A-Za-z_][A-Za-z0-9_.@#-]*(\|[a-z]+)*$/.test(k) ? k : yq(k));

function keyValue(field: string, op: string, raw: string): [string, string | number | boolean] | undefined {
  const f = sigmaField(field);
  if (op === '>' || op === '>=' || op === '<' || op === '<=') {
    const n = Number(raw);
    if (!Number.isFinite(n)) return undefined;
    return [`${f}|${{ '>': 'gt', '>=': 'gte', '<': 'lt', '<=': 'lte' }[op]}`, n];
  }
  if (raw === '*') return [`${f}|exists`, true];
  const inner = raw.slice(1, -1);
  const plain = (s: string) => !/(^|[^\\])[*?]/.test(s);
  if (raw.length > 2 && raw.startsWith('*') && raw.endsWith('*') && plain(inner)) return [`${f}|contains`, inner];
  if (raw.length > 1 && raw.endsWith('*') && plain(raw.slice(0, -1))) return [`${f}|startswith`, raw.slice(0, -1)];
  if (raw.length > 1 && raw.startsWith('*') && plain(raw.slice(1))) return [`${f}|endswith`, raw.slice(1)];
  return [f, raw];
}

const val = (v: string | number | boolean) => (typeof v === 'string' ? yq(v) : String(v));

export interface DraftOptions {
  title?: string;
  author?: string;
  date?: Date;
  id?: string;
}

/** The Sigma YAML draft for a hunt query. Throws (Error) when the query does not parse. */
export function sigmaDraft(query: string, opts: DraftOptions = {}): string {
  const ast = parseQuery(query);
  const notes: string[] = [];
  const conj = dnf(ast);
  const lines: string[] = [];
  const date = (opts.date ?? new Date()).toISOString().slice(0, 10);
  lines.push(`title: ${yq(opts.title || 'Draft from hunt query')}`);
  lines.push(`id: ${yq(opts.id ?? (globalThis.crypto?.randomUUID?.() ?? '00000000-0000-4000-8000-000000000000'))}`);
  lines.push('status: experimental');
  lines.push(`description: ${yq(`Drafted by the Garrison console from the hunt query: ${query}`)}`);
  lines.push(`author: ${yq(opts.author ?? 'garrison console')}`);
  lines.push(`date: ${date}`);
  const logsource: Record<string, string> = {};
  const det: string[] = [];
  const conds: string[] = [];
  if (!conj) {
    notes.push('the query has too many OR branches to expand; it is kept as one keyword search');
    det.push('  keywords:', `    - ${yq(query)}`);
    conds.push('keywords');
  } else {
    // Log source: equality on product/service/category that every branch shares.
    for (const key of LOGSOURCE) {
      const vals = conj.map((c) => c.find((l) => !l.neg && l.node.t === 'cmp' && l.node.field === key && (l.node.op === ':' || l.node.op === '='))?.node as { value: string } | undefined);
      if (vals.every((v) => v && v.value === vals[0]!.value)) logsource[key] = vals[0]!.value;
    }
    conj.forEach((c, ci) => {
      const name = conj.length > 1 ? `_${ci + 1}` : '';
      const sel: [string, string | number | boolean][][] = [[]];
      const parts: string[] = [];
      let n = 0;
      for (const l of c) {
        const node = l.node;
        if (node.t === 'cmp' && LOGSOURCE.has(node.field) && logsource[node.field] === node.value && !l.neg) continue;
        if (node.t === 'cmp' && (node.field === 'time' || node.field === 'ingest_time')) {
          notes.push(`time bound ${node.field}${node.op}${node.value} left out (a rule matches at any time)`);
          continue;
        }
        if (node.t === 'term') {
          const k = `keywords${name}_${++n}`;
          det.push(`  ${k}:`, `    - ${yq(node.value.replace(/^\*|\*$/g, ''))}`);
          parts.push(l.neg ? `not ${k}` : k);
          continue;
        }
        const negOp = node.op === '!=';
        const kv = keyValue(node.field, negOp ? ':' : node.op, node.value);
        if (!kv) {
          notes.push(`${node.field}${node.op}${node.value} is not a number comparison Sigma can express`);
          continue;
        }
        if (l.neg !== negOp) {
          const k = `filter${name}_${++n}`;
          det.push(`  ${k}:`, `    ${yk(kv[0])}: ${val(kv[1])}`);
          parts.push(`not ${k}`);
        } else {
          let target = sel.find((s) => !s.some(([f]) => f === kv[0]));
          if (!target) sel.push((target = []));
          target.push(kv);
        }
      }
      sel.forEach((s, si) => {
        if (s.length === 0) return;
        const k = `selection${name}${si ? `_${String.fromCharCode(97 + si)}` : ''}`;
        det.push(`  ${k}:`);
        for (const [f, v] of s) det.push(`    ${yk(f)}: ${val(v)}`);
        parts.unshift(k);
      });
      if (parts.length === 0) {
        notes.push('a branch matches every event; narrow it before use');
        det.push(`  any${name}:`, `    - ''`);
        parts.push(`any${name}`);
      }
      conds.push(parts.length > 1 && conj.length > 1 ? `(${parts.join(' and ')})` : parts.join(' and '));
    });
  }
  lines.push('logsource:');
  if (Object.keys(logsource).length === 0) lines.push("  product: 'TODO'  # set the log source this rule is for");
  for (const [k, v] of Object.entries(logsource)) lines.push(`  ${k}: ${yq(v)}`);
  lines.push('detection:');
  lines.push(...det);
  lines.push(`  condition: ${conds.join(' or ')}`);
  lines.push('falsepositives:', "  - 'Unknown: review before enabling'", 'level: medium');
  const out = lines;
  if (notes.length) out.push(...notes.map((n) => `# note: ${n.replace(/[\r\n]/g, ' ')}`));
  return out.join('\n') + '\n';
}
