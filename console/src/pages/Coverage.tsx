/**
 * Coverage: can Garrison detect each ATT&CK technique *here* (GET /api/v1/coverage) as a heat map
 * by tactic, each technique's reason, detectors and telemetry; the ranked gaps with their next
 * step (GET /api/v1/coverage/gaps); the Navigator layer to download (GET
 * /api/v1/coverage/navigator, saved as a JSON Blob) and a Navigator layer view that opens a layer
 * file the user picks (or the server's), validated here (src/layer.ts) and shown on the same
 * matrix. Every value is rendered as text.
 */
import { useCallback, useMemo, useRef, useState, type ChangeEvent, type FormEvent } from 'react';
import { ApiError, get, qs } from '../api';
import { Unavailable, useApi, type Loaded } from '../components/common';
import { Matrix } from '../components/Matrix';
import { coverageMatrix, inkFor, MATRIX_TACTICS, STYLES, styleKeyOf, type CatalogueEntry, type CoverageReportView, type GapsReply, type GapView, type StyleKey, type TechniqueView } from '../coverage';
import { layerColor, layerIndex, layerMatrix, MAX_LAYER_BYTES, parseLayer, type LayerCheck, type LayerTechnique, type LayerView } from '../layer';
import { useLocation } from '../router';
import { downloadJson, fmtAgo, fmtDuration, fmtTime, text } from '../util';

interface Options {
  window: string;
  staleAfter: string;
  until: string;
  exclude: string;
  models: string;
}
const DEFAULTS: Options = { window: '7d', staleAfter: '24h', until: '', exclude: '', models: '' };
const WINDOWS = ['24h', '3d', '7d', '14d', '30d'];
const STALE = ['1h', '6h', '24h', '3d', '7d'];

const params = (o: Options) => ({ window: o.window, staleAfter: o.staleAfter, until: o.until.trim() || undefined, exclude: o.exclude.trim() || undefined, models: o.models.trim() || undefined });
const tacticName = (short: string) => MATRIX_TACTICS.find((t) => t[0] === short)?.[2] ?? short;

function Swatch({ color, label }: { color?: string; label?: string }) {
  return <i className="swatch" style={{ backgroundColor: color ?? '#ffffff' }} aria-label={label} />;
}

function StateBadge({ t }: { t: Pick<TechniqueView, 'state' | 'detectedBy' | 'validated'> }) {
  const k = styleKeyOf(t);
  const c = STYLES[k].color;
  return (
    <span className="badge" style={{ backgroundColor: c, color: inkFor(c) }} data-testid="technique-state">
      {t.state}
      {t.detectedBy ? ` · ${t.detectedBy}` : ''}
      {t.state === 'covered' ? (t.validated ? ' · validated' : ' · not validated') : ''}
    </span>
  );
}

/** Legend with a filter: a click dims the cells of that state (and back). */
function Legend({ hidden, toggle, counts }: { hidden: ReadonlySet<string>; toggle: (k: string) => void; counts: Record<string, number> }) {
  return (
    <div className="legend" data-testid="legend" role="group" aria-label="legend">
      {(Object.keys(STYLES) as StyleKey[]).map((k) => (
        <button key={k} type="button" className={`legend-item${hidden.has(k) ? ' off' : ''}`} onClick={() => toggle(k)} aria-pressed={!hidden.has(k)} title={hidden.has(k) ? 'show these again' : 'dim these'}>
          <Swatch color={STYLES[k].color} />
          {STYLES[k].label} <span className="muted">({counts[k] ?? 0})</span>
        </button>
      ))}
    </div>
  );
}

function DetectorRow({ d }: { d: TechniqueView['detectors'][number] }) {
  const v = d.validation ?? {};
  return (
    <li className="detector" data-testid="technique-detector">
      <div>
        <span className="badge">{d.kind === 'model' ? 'model' : d.kind === 'correlation' ? 'correlation' : 'rule'}</span> <strong>{text(d.title, 300)}</strong>{' '}
        <span className={`badge health-${String(d.health).replace(/[^a-z-]/g, '')}`}>{d.enabled ? text(d.health, 20) : 'disabled'}</span>
      </div>
      {d.file && <div className="muted small">{text(d.file, 300)}</div>}
      {!d.enabled && d.disabledReason && <div className="small">not enabled: {text(d.disabledReason, 300)}</div>}
      <div className="small">
        validation: {v.tests ? `tests ${text(v.tests, 20)}` : 'no tests run'}
        {v.firings ? ` · fired ${v.firings} time(s) in the window` : ' · no firing in the window'}
        {v.replay?.length ? ` · caught replayed campaign ${v.replay.map((x) => text(x, 40)).join(', ')}` : ''}
      </div>
      {(d.data ?? []).length > 0 && (
        <table className="grid small">
          <thead>
            <tr>
              <th>telemetry it needs</th>
              <th>events</th>
              <th>hosts</th>
              <th>last event</th>
              <th>fields never present</th>
            </tr>
          </thead>
          <tbody>
            {(d.data ?? []).map((x, i) => (
              <tr key={i}>
                <td>
                  {text(x.label, 200)}
                  {x.probed && <div className="muted">probed: {text(x.probed, 300)}</div>}
                </td>
                <td>{x.events}</td>
                <td>{x.hosts}</td>
                <td>{x.events ? fmtTime(x.lastSeen) : <span className="error">none arrived</span>}</td>
                <td>{x.missingFields?.length ? x.missingFields.map((f) => text(f, 60)).join(', ') : '-'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </li>
  );
}

function TechniqueDetail({ t, gap, report, onSelect, onClose }: { t: TechniqueView; gap?: GapView; report: CoverageReportView; onSelect: (id: string) => void; onClose: () => void }) {
  const subs = t.id.includes('.') ? [] : report.techniques.filter((x) => x.id.startsWith(t.id + '.'));
  const parent = t.id.includes('.') ? report.techniques.find((x) => x.id === t.id.split('.')[0]) : undefined;
  return (
    <aside className="panel cov-detail" data-testid="technique-detail" aria-label={`technique ${t.id}`}>
      <header>
        <h2>
          {text(t.id, 20)} {text(t.name, 200)}
        </h2>
        <span className="spacer" />
        <button className="ghost" onClick={onClose} aria-label="close">
          ✕
        </button>
      </header>
      <div className="small muted">{t.tactics.map(tacticName).join(' · ')}</div>
      {parent && (
        <div className="small">
          sub-technique of{' '}
          <button className="linkish" onClick={() => onSelect(parent.id)}>
            {parent.id} {text(parent.name, 100)}
          </button>
        </div>
      )}
      <p>
        <StateBadge t={t} />
      </p>
      <h3>Why</h3>
      <p className="reason" data-testid="technique-reason">
        {text(t.reason, 6000)}
      </p>
      {gap && (
        <div className="gapnote" data-testid="technique-gap">
          gap #{gap.rank} (score {gap.score.toFixed(2)}) · next step <span className="badge">{text(gap.next.kind, 30)}</span> {text(gap.next.action, 1000)}
        </div>
      )}
      <h3>Rules and models ({t.detectors.length})</h3>
      {t.detectors.length === 0 ? <div className="muted">no rule or baseline model claims this technique</div> : <ul className="detectors">{t.detectors.slice(0, 100).map((d) => <DetectorRow key={d.id} d={d} />)}</ul>}
      <h3>Telemetry that reveals it</h3>
      {(t.dataSources ?? []).length === 0 && (t.missingDataSources ?? []).length === 0 && <div className="muted">Garrison knows no telemetry it collects that reveals this technique.</div>}
      <ul className="plain">
        {(t.dataSources ?? []).map((d) => (
          <li key={d.id}>
            <span className="ok">arrived</span> {text(d.name, 200)}: {d.events} event(s), last {fmtTime(d.lastSeen)}
          </li>
        ))}
        {(t.missingDataSources ?? []).map((d) => (
          <li key={d.id}>
            <span className="error">not arrived</span> {text(d.name, 200)}
            <div className="muted small">{text(d.enable, 1000)}</div>
          </li>
        ))}
      </ul>
      {subs.length > 0 && (
        <>
          <h3>Sub-techniques ({subs.length})</h3>
          <ul className="plain">
            {subs.map((s) => (
              <li key={s.id}>
                <Swatch color={styleKeyOf(s) === 'uncovered' ? undefined : STYLES[styleKeyOf(s)].color} />{' '}
                <button className="linkish" onClick={() => onSelect(s.id)}>
                  {s.id} {text(s.name, 100)}
                </button>{' '}
                <span className="muted small">{s.state}</span>
              </li>
            ))}
          </ul>
        </>
      )}
    </aside>
  );
}

function Gaps({ state, onSelect, all, setAll }: { state: Loaded<GapsReply>; onSelect: (id: string) => void; all: boolean; setAll: (b: boolean) => void }) {
  const gaps = state.data?.gaps ?? [];
  return (
    <section className="panel" data-testid="gaps">
      <header>
        <h2>Gaps, most important first</h2>
        <label className="small">
          <input type="checkbox" checked={all} onChange={(e) => setAll(e.target.checked)} /> include gaps without campaign, intel or asset weight
        </label>
      </header>
      {state.error && !state.data ? (
        <Unavailable what="Coverage gaps" error={state.error} />
      ) : !state.data ? (
        <div className="muted">loading…</div>
      ) : gaps.length === 0 ? (
        <div className="muted">No gaps{all ? '' : ' with a weight (turn on the option above for every gap)'}.</div>
      ) : (
        <table className="grid gaps">
          <thead>
            <tr>
              <th>#</th>
              <th>technique</th>
              <th>state</th>
              <th>score</th>
              <th>why it matters</th>
              <th>next step</th>
            </tr>
          </thead>
          <tbody>
            {gaps.map((g) => (
              <tr key={`${g.rank}-${g.technique}`} data-testid="gap-row" data-technique={g.technique}>
                <td>{g.rank}</td>
                <td>
                  <button className="linkish" onClick={() => onSelect(g.technique)}>
                    {text(g.technique, 20)} {text(g.name, 120)}
                  </button>
                  <div className="muted small">{g.tactics.map(tacticName).join(' · ')}</div>
                </td>
                <td className="small">{text(g.state, 40)}</td>
                <td>{Number.isFinite(g.score) ? g.score.toFixed(2) : '-'}</td>
                <td className="small">
                  {[
                    g.weight?.campaigns?.length ? `campaigns ${g.weight.campaigns.map((c) => text(c, 40)).join(', ')}` : '',
                    g.weight?.intel ? `intel ${g.weight.intel}${g.weight.intelSources?.length ? ` (${g.weight.intelSources.map((x) => text(x, 60)).join('; ')})` : ''}` : '',
                    g.weight?.criticality && g.weight.criticality > 1 ? `criticality ${g.weight.criticality}${g.weight.criticalHost ? ` (${text(g.weight.criticalHost, 60)})` : ''}` : '',
                  ]
                    .filter(Boolean)
                    .join(' · ') || <span className="muted">-</span>}
                </td>
                <td className="small">
                  <span className="badge">{text(g.next.kind, 30)}</span> {text(g.next.action, 600)}
                  <div className="muted" title={text(g.reason, 4000)}>
                    {text(g.reason, 240)}
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Telemetry({ r }: { r: CoverageReportView }) {
  const t = r.telemetry;
  if (!t) return null;
  return (
    <section className="panel" data-testid="telemetry">
      <header>
        <h2>Telemetry in the window</h2>
        <span className="muted small">
          {t.scanned.toLocaleString('en-US')} event(s) scanned{t.truncated ? ' (bound reached: rarer sources probed one query each)' : ''}
          {t.exclude.length ? ` · treated as switched off: ${t.exclude.map((x) => text(x, 100)).join('; ')}` : ''}
        </span>
      </header>
      <div className="scrollbox">
        <table className="grid small">
          <thead>
            <tr>
              <th>family</th>
              <th>source</th>
              <th>event code</th>
              <th>class</th>
              <th>events</th>
              <th>hosts</th>
              <th>last event</th>
            </tr>
          </thead>
          <tbody>
            {t.sources.slice(0, 1000).map((s) => (
              <tr key={s.key} className={s.stale ? 'stale' : ''}>
                <td>{text(s.family, 40)}</td>
                <td>{[s.format, s.product, s.service, s.category, s.channel].filter(Boolean).map((x) => text(x, 60)).join(' / ')}</td>
                <td>{text(s.eventCode, 20) || '-'}</td>
                <td>{text(s.class, 40)}</td>
                <td>{s.events}</td>
                <td>{s.hosts}</td>
                <td>
                  {fmtTime(s.last)} {s.stale && <span className="badge health-stale">stale</span>}
                </td>
              </tr>
            ))}
            {t.sources.length === 0 && (
              <tr>
                <td colSpan={7} className="muted">
                  no events in the window
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
      {t.staleHosts.length > 0 && (
        <>
          <h3>Hosts whose telemetry stopped ({t.staleHosts.length})</h3>
          <div className="small">{t.staleHosts.slice(0, 200).map((h) => `${text(h.host, 60)} (${text(h.family, 30)}, last ${fmtTime(h.lastSeen)})`).join(' · ')}</div>
        </>
      )}
    </section>
  );
}

/** The coverage report as a heat map with its detail and gaps. */
function CoverageView({ report, gaps, all, setAll, initial }: { report: CoverageReportView; gaps: Loaded<GapsReply>; all: boolean; setAll: (b: boolean) => void; initial?: string }) {
  const [selected, setSelected] = useState<string | undefined>(initial);
  const [query, setQuery] = useState('');
  const [expanded, setExpanded] = useState(false);
  const [hidden, setHidden] = useState<ReadonlySet<string>>(new Set());
  const columns = useMemo(() => coverageMatrix(report), [report]);
  const counts = useMemo(() => {
    const c: Record<string, number> = {};
    for (const t of report.techniques) c[styleKeyOf(t)] = (c[styleKeyOf(t)] ?? 0) + 1;
    return c;
  }, [report]);
  const t = selected ? report.techniques.find((x) => x.id === selected) : undefined;
  const gap = t ? gaps.data?.gaps.find((g) => g.technique === t.id) : undefined;
  const toggle = useCallback((k: string) => setHidden((h) => (h.has(k) ? new Set([...h].filter((x) => x !== k)) : new Set([...h, k]))), []);
  const s = report.summary;
  return (
    <>
      <section className="panel cov-summary" data-testid="coverage-summary">
        <div className="chips">
          <span className="chip">
            <strong>{s.techniques}</strong> techniques
          </span>
          <span className="chip" style={{ borderColor: STYLES.validated.color }}>
            <strong>{s.covered}</strong> covered ({s.validated} validated)
          </span>
          <span className="chip" style={{ borderColor: STYLES.blind.color }}>
            <strong>{s['covered-but-blind']}</strong> covered-but-blind
          </span>
          <span className="chip" style={{ borderColor: STYLES.dataOnly.color }}>
            <strong>{s['data-without-detection']}</strong> data-without-detection
          </span>
          <span className="chip">
            <strong>{s.uncovered}</strong> uncovered
          </span>
        </div>
        <div className="small muted">
          {fmtTime(report.window.from)} → {fmtTime(report.window.to)} · telemetry older than {fmtDuration(report.window.staleAfterMs)} is stale · computed {fmtAgo(report.generatedAt)}
          {report.rules ? ` · ${report.rules.loaded} rule(s) (${report.rules.enabled} enabled, ${report.rules.correlations} correlation)` : ''}
          {report.rules?.problems.length ? ` · ${report.rules.problems.length} rule problem(s)` : ''}
          {report.tests ? ` · rule tests ${report.tests.passed}/${report.tests.cases} passed` : ''}
          {report.models ? ` · models: ${report.models.length ? report.models.map((m) => text(m, 30)).join(', ') : 'none'}` : ''}
          {report.replay ? ` · replay of ${text(report.replay.scenario, 60)} (seed ${report.replay.seed}, ${report.replay.hours} h) ${fmtAgo(report.replay.at)}` : ' · no replay recorded (garrison coverage --replay)'}
          {report.unknownTechniques?.length ? ` · ${report.unknownTechniques.length} technique id(s) used by rules are not in ATT&CK ${text(report.attack.version, 10)}` : ''}
        </div>
      </section>
      <div className="toolbar">
        <Legend hidden={hidden} toggle={toggle} counts={counts} />
        <span className="spacer" />
        <input aria-label="find technique" placeholder="find technique (id or name)" value={query} onChange={(e) => setQuery(e.target.value)} maxLength={100} />
        <label className="small">
          <input type="checkbox" checked={expanded} onChange={(e) => setExpanded(e.target.checked)} data-testid="expand-subs" /> sub-techniques
        </label>
      </div>
      <div className={`cov-main${t ? ' with-detail' : ''}`}>
        <Matrix columns={columns} selected={selected} onSelect={setSelected} query={query} hidden={hidden} expanded={expanded} />
        {t && <TechniqueDetail t={t} gap={gap} report={report} onSelect={setSelected} onClose={() => setSelected(undefined)} />}
      </div>
      <Gaps state={gaps} onSelect={setSelected} all={all} setAll={setAll} />
      <Telemetry r={report} />
      <div className="muted small attribution">{text(report.attack.source, 500)}</div>
    </>
  );
}

/** A Navigator layer (user's file or the server's), validated, on the matrix. */
function LayerPanel({ catalogue, serverLayer }: { catalogue?: CatalogueEntry[]; serverLayer: () => Promise<unknown> }) {
  const [check, setCheck] = useState<LayerCheck & { source: string }>();
  const [busy, setBusy] = useState(false);
  const [selected, setSelected] = useState<string>();
  const [query, setQuery] = useState('');
  const [expanded, setExpanded] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const open = async (e: ChangeEvent<HTMLInputElement>) => {
    const f = e.target.files?.[0];
    e.target.value = '';
    if (!f) return;
    setSelected(undefined);
    if (f.size > MAX_LAYER_BYTES) return setCheck({ source: f.name, problems: [`(file): ${f.size} bytes, larger than the ${MAX_LAYER_BYTES / 1024 / 1024} MiB accepted`], warnings: [] });
    setBusy(true);
    try {
      setCheck({ source: f.name, ...parseLayer(await f.text()) });
    } catch (err) {
      setCheck({ source: f.name, problems: [`(file): cannot be read: ${(err as Error).message}`], warnings: [] });
    } finally {
      setBusy(false);
    }
  };
  const fromServer = async () => {
    setBusy(true);
    setSelected(undefined);
    try {
      setCheck({ source: 'this server (GET /api/v1/coverage/navigator)', ...parseLayer(JSON.stringify(await serverLayer())) });
    } catch (err) {
      setCheck({ source: 'this server', problems: [`${err instanceof ApiError ? err.code + ': ' : ''}${(err as Error).message}`], warnings: [] });
    } finally {
      setBusy(false);
    }
  };
  const layer = check?.layer;
  // Without the server's catalogue, the layer's own entries (with their tactic) make the matrix.
  const cat = useMemo<CatalogueEntry[] | undefined>(() => {
    if (!layer) return undefined;
    if (catalogue) return catalogue;
    const m = new Map<string, CatalogueEntry>();
    for (const t of layer.techniques) {
      const e = m.get(t.techniqueID) ?? { id: t.techniqueID, name: '', tactics: [] };
      if (t.tactic && !e.tactics.includes(t.tactic)) e.tactics.push(t.tactic);
      m.set(t.techniqueID, e);
    }
    return [...m.values()];
  }, [layer, catalogue]);
  const lm = useMemo(() => (layer && cat ? layerMatrix(layer, cat) : undefined), [layer, cat]);
  const find = useMemo(() => (layer ? layerIndex(layer) : undefined), [layer]);
  const entries = useMemo(() => (layer && selected ? layer.techniques.filter((t) => t.techniqueID === selected) : []), [layer, selected]);
  const name = selected ? catalogue?.find((c) => c.id === selected)?.name : undefined;
  return (
    <div data-testid="layer-view">
      <section className="panel">
        <header>
          <h2>Open an ATT&amp;CK Navigator layer</h2>
        </header>
        <div className="toolbar">
          <input ref={input} type="file" accept=".json,application/json" onChange={open} aria-label="layer file" data-testid="layer-file" disabled={busy} />
          <button className="secondary" onClick={fromServer} disabled={busy} data-testid="layer-server">
            Load this server's coverage layer
          </button>
          {busy && <span className="muted">reading…</span>}
        </div>
        <p className="muted small">
          Layer format 4.5 (4.0–4.4 read as 4.5), domain enterprise-attack, at most {MAX_LAYER_BYTES / 1024 / 1024} MiB. The file is checked here, in the browser, and never sent anywhere; its texts are shown as text and its links are not
          followed.
        </p>
        {!catalogue && <p className="muted small">The server's ATT&amp;CK table is not available: techniques are placed by the layer's own tactic fields and shown without names.</p>}
        {check && check.problems.length > 0 && (
          <div className="error" data-testid="layer-problems" role="alert">
            <strong>
              {text(check.source, 200)} is not a valid layer ({check.problems.length} problem{check.problems.length === 1 ? '' : 's'}):
            </strong>
            <ul>
              {check.problems.map((p, i) => (
                <li key={i}>{text(p, 400)}</li>
              ))}
            </ul>
          </div>
        )}
        {check && check.warnings.length > 0 && (
          <ul className="muted small" data-testid="layer-warnings">
            {check.warnings.map((w, i) => (
              <li key={i}>{text(w, 400)}</li>
            ))}
          </ul>
        )}
      </section>
      {layer && lm && (
        <>
          <LayerHeader layer={layer} source={check!.source} />
          <div className="toolbar">
            <span className="small muted">
              {layer.techniques.length} technique entr{layer.techniques.length === 1 ? 'y' : 'ies'}
              {lm.unplaced.length ? ` · ${lm.unplaced.length} not in this ATT&CK table` : ''}
            </span>
            <span className="spacer" />
            <input aria-label="find technique in layer" placeholder="find technique (id or name)" value={query} onChange={(e) => setQuery(e.target.value)} maxLength={100} />
            <label className="small">
              <input type="checkbox" checked={expanded} onChange={(e) => setExpanded(e.target.checked)} data-testid="expand-subs" /> sub-techniques
            </label>
          </div>
          <div className={`cov-main${selected ? ' with-detail' : ''}`}>
            <Matrix columns={lm.columns} selected={selected} onSelect={setSelected} query={query} expanded={expanded} testId="layer-matrix" />
            {selected && (
              <aside className="panel cov-detail" data-testid="layer-detail">
                <header>
                  <h2>
                    {text(selected, 20)} {text(name, 200)}
                  </h2>
                  <span className="spacer" />
                  <button className="ghost" onClick={() => setSelected(undefined)} aria-label="close">
                    ✕
                  </button>
                </header>
                {entries.length === 0 && <div className="muted">This technique is not in the layer.</div>}
                {entries.map((e, i) => (
                  <LayerEntry key={i} e={e} layer={layer} />
                ))}
                {find && entries.length === 0 && <div className="muted small">(no entry for it in any tactic)</div>}
              </aside>
            )}
          </div>
          {lm.unplaced.length > 0 && (
            <section className="panel">
              <header>
                <h2>Entries not in this ATT&amp;CK table ({lm.unplaced.length})</h2>
              </header>
              <div className="small">{lm.unplaced.slice(0, 500).map((t) => `${t.techniqueID}${t.tactic ? ` (${text(t.tactic, 40)})` : ''}`).join(' · ')}</div>
            </section>
          )}
        </>
      )}
    </div>
  );
}

function LayerHeader({ layer, source }: { layer: LayerView; source: string }) {
  return (
    <section className="panel" data-testid="layer-header">
      <header>
        <h2>{text(layer.name, 300)}</h2>
        <span className="muted small">
          {text(source, 200)} · {text(layer.domain, 40)} · layer {text(layer.versions.layer, 10)}
          {layer.versions.attack ? ` · ATT&CK ${text(layer.versions.attack, 10)}` : ''}
          {layer.versions.navigator ? ` · Navigator ${text(layer.versions.navigator, 20)}` : ''}
        </span>
      </header>
      {layer.description && <p className="small">{text(layer.description, 3000)}</p>}
      {layer.legendItems.length > 0 && (
        <div className="legend">
          {layer.legendItems.slice(0, 50).map((l, i) => (
            <span key={i} className="legend-item static">
              <Swatch color={l.color} /> {text(l.label, 120)}
            </span>
          ))}
        </div>
      )}
      {layer.gradient && (
        <div className="small muted">
          gradient {layer.gradient.minValue} <span className="gradient">{layer.gradient.colors.map((c, i) => <Swatch key={i} color={c} />)}</span> {layer.gradient.maxValue}
        </div>
      )}
      {layer.metadata.length > 0 && <div className="small muted">{layer.metadata.slice(0, 20).map((m) => `${text(m.name, 60)}: ${text(m.value, 200)}`).join(' · ')}</div>}
    </section>
  );
}

function LayerEntry({ e, layer }: { e: LayerTechnique; layer: LayerView }) {
  const c = layerColor(e, layer);
  return (
    <div className="layer-entry" data-testid="layer-entry">
      <p>
        <Swatch color={c} /> {e.tactic ? tacticName(e.tactic) : 'all tactics'} · score {e.score ?? '-'} {c && <span className="muted small">{c}</span>} {!e.enabled && <span className="badge">disabled</span>}
      </p>
      {e.comment && (
        <p className="reason" data-testid="layer-comment">
          {text(e.comment, 6000)}
        </p>
      )}
      {e.metadata.length > 0 && (
        <dl className="kv">
          {e.metadata.slice(0, 100).map((m, i) => (
            <div key={i} style={{ display: 'contents' }}>
              <dt>{text(m.name, 80)}</dt>
              <dd>{text(m.value, 1000)}</dd>
            </div>
          ))}
        </dl>
      )}
      {e.links.length > 0 && (
        <div className="small">
          links (not followed):{' '}
          {e.links.slice(0, 20).map((l, i) => (
            <div key={i}>
              {text(l.label, 100)}: <code>{text(l.url, 500)}</code>
            </div>
          ))}
        </div>
      )}
    </div>
  );
}

export function Coverage() {
  const { query } = useLocation();
  const [tab, setTab] = useState<'coverage' | 'layer'>(query.get('view') === 'layer' ? 'layer' : 'coverage');
  const [draft, setDraft] = useState<Options>(DEFAULTS);
  const [opts, setOpts] = useState<Options>(DEFAULTS);
  const [all, setAll] = useState(false);
  const [dl, setDl] = useState<{ busy?: boolean; error?: string }>({});
  const report = useApi<CoverageReportView>(qs('/api/v1/coverage', params(opts)));
  const gaps = useApi<GapsReply>(tab === 'coverage' ? qs('/api/v1/coverage/gaps', { ...params(opts), limit: 100, all: all ? 'true' : undefined }) : undefined);
  const layerPath = qs('/api/v1/coverage/navigator', params(opts));
  const catalogue = useMemo(() => report.data?.techniques.map((t) => ({ id: t.id, name: t.name, tactics: t.tactics })), [report.data]);
  const apply = (e: FormEvent) => {
    e.preventDefault();
    setOpts({ ...draft });
  };
  const download = async () => {
    setDl({ busy: true });
    try {
      const layer = await get<unknown>(layerPath);
      downloadJson(layer, `garrison-coverage-layer-${new Date().toISOString().slice(0, 10)}.json`);
      setDl({});
    } catch (err) {
      setDl({ error: `${err instanceof ApiError ? err.code + ': ' : ''}${(err as Error).message}` });
    }
  };
  return (
    <div className="coverage">
      <div className="toolbar">
        <h1>ATT&amp;CK coverage</h1>
        <div className="tabs" role="tablist">
          <button role="tab" aria-selected={tab === 'coverage'} className={tab === 'coverage' ? 'tab active' : 'tab'} onClick={() => setTab('coverage')}>
            Coverage here
          </button>
          <button role="tab" aria-selected={tab === 'layer'} className={tab === 'layer' ? 'tab active' : 'tab'} onClick={() => setTab('layer')} data-testid="tab-layer">
            Navigator layer
          </button>
        </div>
        <span className="spacer" />
        <button onClick={download} disabled={dl.busy} data-testid="download-layer" title="ATT&CK Navigator layer (format 4.5) of the coverage shown">
          {dl.busy ? 'Preparing…' : 'Download Navigator layer'}
        </button>
      </div>
      {dl.error && <div className="error">Download failed: {text(dl.error, 400)}</div>}
      <form className="toolbar cov-options" onSubmit={apply}>
        <label>
          window{' '}
          <select aria-label="window" value={draft.window} onChange={(e) => setDraft({ ...draft, window: e.target.value })}>
            {WINDOWS.map((w) => (
              <option key={w} value={w}>
                {w}
              </option>
            ))}
          </select>
        </label>
        <label>
          ending{' '}
          <input aria-label="until" placeholder="now (or ISO time)" value={draft.until} onChange={(e) => setDraft({ ...draft, until: e.target.value })} maxLength={40} size={18} />
        </label>
        <label>
          stale after{' '}
          <select aria-label="stale after" value={draft.staleAfter} onChange={(e) => setDraft({ ...draft, staleAfter: e.target.value })}>
            {STALE.map((w) => (
              <option key={w} value={w}>
                {w}
              </option>
            ))}
          </select>
        </label>
        <label>
          sources off{' '}
          <input aria-label="exclude" placeholder="product=windows,service=sysmon" value={draft.exclude} onChange={(e) => setDraft({ ...draft, exclude: e.target.value })} maxLength={1000} size={26} />
        </label>
        <label>
          models{' '}
          <input aria-label="models" placeholder="all (or a,b / none)" value={draft.models} onChange={(e) => setDraft({ ...draft, models: e.target.value })} maxLength={200} size={14} />
        </label>
        <button type="submit" className="secondary">
          Apply
        </button>
        {report.loading && <span className="muted small">computing…</span>}
      </form>
      {tab === 'coverage' ? (
        report.error && !report.data ? (
          <Unavailable what="ATT&CK coverage" error={report.error} />
        ) : !report.data ? (
          <div className="muted">computing coverage…</div>
        ) : (
          <>
            {report.error && <div className="error">{`${report.error instanceof ApiError ? report.error.code + ': ' : ''}${report.error.message}`} (showing the previous result)</div>}
            <CoverageView report={report.data} gaps={gaps} all={all} setAll={setAll} initial={query.get('technique') ?? undefined} />
          </>
        )
      ) : (
        <LayerPanel catalogue={catalogue} serverLayer={() => get<unknown>(layerPath)} />
      )}
    </div>
  );
}
