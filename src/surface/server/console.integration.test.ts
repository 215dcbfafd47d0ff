/**
 * The analyst console end to end: a real server on a temp data dir, Debian's Chromium driven by
 * playwright-core (headless). Needs `apt-get install -y chromium` (.ci/run installs it).
 *
 *  - flow: log in, open the top incident of the demo scenario, read its timeline, open evidence
 *    and its raw events, approve the pending action and see it executed, roll it back, give
 *    feedback; a viewer cannot approve (button disabled and the API refuses);
 *  - XSS: events, incidents, evidence, actions, saved searches and audit entries carrying
 *    script-injection payloads; every page that shows them is visited; the test fails on any
 *    dialog, console error (CSP violations included), page error or request to another host;
 *  - coverage: the ATT&CK heat map matches the API, a technique's reason and detectors open, the
 *    gaps list, the Navigator layer downloads (a JSON Blob that validates as format 4.5) and opens
 *    in the layer view, a user's layer file is validated in the browser; the Operations page shows
 *    the detector status (rules loaded/rejected, baselines' learning state, intel feeds);
 *  - queue badges: verdicts and close reasons come from the list API, with a per-incident fallback;
 *  - performance: the queue with 1,000 incidents and an incident with 5,000 events, first render
 *    under 1 s measured in the browser (performance.now() at first row).
 * Screenshots for the docs: bench/console/screens.ts.
 */
import { readFileSync } from 'node:fs';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureConsoleBuilt, launch, PASSWORD, seedBulk, seedDemo, startConsoleServer, XSS, xss, XSS_TECHNIQUE, xssLayer, type Seeded } from '../../../console/e2e/seed.js';
import { NavigatorLayerSchema } from '../../coverage/navigator.js';
import type { DetectorStatus } from './detectors-status.js';
import type { TestServer } from './test-helpers.js';

let browser: { context: BrowserContext; close: () => Promise<void> };

beforeAll(async () => {
  ensureConsoleBuilt();
  browser = await launch();
}, 180_000);
afterAll(async () => {
  await browser?.close();
});

async function login(page: Page, base: string, user: string): Promise<void> {
  await page.context().clearCookies();
  await page.goto(base + '/');
  await page.getByLabel('User', { exact: true }).fill(user);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByTestId('who').waitFor();
  expect(await page.getByTestId('who').textContent()).toContain(user);
}

describe('console: the analyst flow on the demo scenario', () => {
  let s: TestServer;
  let seeded: Seeded;
  let page: Page;
  beforeAll(async () => {
    s = await startConsoleServer();
    seeded = await seedDemo(s);
    page = await browser.context.newPage();
  });
  afterAll(async () => {
    await page?.close();
    await s?.stop();
  });

  it('logs in, opens the top incident, reads the timeline, opens evidence and its raw events', async () => {
    await login(page, s.url, 'rita');
    const first = page.getByTestId('queue-row').first();
    await first.waitFor();
    expect(await first.getAttribute('data-incident')).toBe(seeded.demoIncidentId);
    // The verdict and its confidence come with the list (IncidentSummary.verdict).
    expect(await first.getByTestId('verdict-badge').textContent()).toBe('malicious 91%');
    await first.click();
    await page.getByTestId('incident-title').waitFor();
    expect(page.url()).toBe(`${s.url}/incidents/${seeded.demoIncidentId}`);
    const stages = (await page.getByTestId('stages').locator('li').allTextContents()).map((t) => t.split(' ')[0]);
    expect(stages.join(' ')).toMatch(/^Execution Command Credential Lateral$/);
    expect(await page.getByTestId('timeline').locator('.stage-bar').count()).toBe(4);
    const graph = await page.getByTestId('entity-graph').textContent();
    for (const name of ['ws-017', 'srv-fin-02', 'CORP\\alice', '203.0.113.7', 'cdn-update.example']) expect(graph).toContain(name);
    expect(await page.getByTestId('entity-graph').locator('.edge.lineage').count()).toBeGreaterThanOrEqual(2);
    const verdict = page.getByTestId('verdict-automatic');
    expect(await verdict.textContent()).toContain('malicious');
    expect(await verdict.locator('.factors.con').textContent()).toContain('known_admin_host');
    expect(await verdict.locator('.factors.pro li').count()).toBe(3);

    await page.getByTestId('evidence').first().click();
    const modal = page.getByTestId('evidence-modal');
    await modal.getByTestId('event-row').first().waitFor();
    expect(await modal.getByTestId('event-row').count()).toBe(2);
    expect(await modal.textContent()).toContain('host:ws-017');
    await modal.getByTestId('event-row').filter({ hasText: 'powershell' }).first().click();
    expect(await page.getByTestId('event-raw').textContent()).toContain('-enc SQBFAFgA');
    await page.keyboard.press('Escape');
    await page.keyboard.press('Escape');
    await page.getByTestId('incident-events').getByTestId('event-row').first().waitFor();
  });

  it('approves the pending action with a reason and sees it executed, then rolls it back', async () => {
    const row = page.locator(`[data-testid=action-row][data-action="${seeded.demoActionId}"]`);
    await row.waitFor();
    expect(await row.getAttribute('data-status')).toBe('pending_approval');
    await row.getByTestId('approve').click();
    const confirm = page.getByTestId('confirm');
    expect(await confirm.isDisabled()).toBe(true);
    await page.getByTestId('reason-form').locator('textarea').fill('confirmed with alice: she did not run this');
    await confirm.click();
    await expect.poll(async () => row.getAttribute('data-status'), { timeout: 15_000 }).toMatch(/^(active|completed)$/);
    expect(await row.getByTestId('ttl').textContent()).toMatch(/expires in|TTL/);
    await row.getByTestId('rollback').click();
    await page.getByTestId('reason-form').locator('textarea').fill('host reimaged, release it');
    await page.getByTestId('confirm').click();
    await expect.poll(async () => row.getAttribute('data-status'), { timeout: 15_000 }).toBe('rolled_back');
    const audit = await s.ctx.store.listAudit({ target: seeded.demoActionId, limit: 100 });
    expect(audit.map((a) => a.actor)).toContain('user:rita');
  });

  it('records the analyst verdict and feedback', async () => {
    const form = page.getByTestId('feedback');
    await form.getByLabel('verdict').selectOption('malicious');
    await form.getByLabel('note').fill('confirmed phishing');
    await form.getByRole('button', { name: 'Record' }).click();
    await expect.poll(async () => form.textContent(), { timeout: 10_000 }).toContain('Feedback recorded.');
    const rec = await s.ctx.store.getRecord<{ analystVerdict?: { verdict: string; by: string } }>('incidents', seeded.demoIncidentId);
    expect(rec?.doc.analystVerdict).toMatchObject({ verdict: 'malicious', by: 'user:rita' });
  });

  it('does not let a viewer approve: the button is disabled and the API refuses', async () => {
    await page.getByRole('button', { name: 'Log out' }).click();
    await login(page, s.url, 'vince');
    await page.goto(`${s.url}/incidents/${seeded.demoIncidentId}`);
    await page.getByTestId('incident-title').waitFor();
    const reply = await page.evaluate(async (id) => {
      const sess = (await (await fetch('/auth/session')).json()) as { csrfToken: string };
      const r = await fetch(`/api/v1/actions/${id}/approve`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': sess.csrfToken }, body: JSON.stringify({ reason: 'viewer tries' }) });
      return { status: r.status, body: await r.text() };
    }, seeded.otherActionId);
    expect(reply.status).toBe(403);
    expect(reply.body).toContain('AUTH_FORBIDDEN');
    const buttons = page.locator(`[data-testid=action-row][data-action="${seeded.otherActionId}"] button`);
    expect(await buttons.count()).toBe(2);
    for (let i = 0; i < (await buttons.count()); i++) expect(await buttons.nth(i).isDisabled()).toBe(true);
    // A viewer cannot give feedback either.
    expect(await page.getByTestId('feedback').getByRole('button', { name: 'Record' }).isDisabled()).toBe(true);
  });
  it('updates the queue live when an incident arrives (server-sent events), without a reload', async () => {
    await page.goto(`${s.url}/`);
    await page.getByTestId('queue-row').first().waitFor();
    expect(await page.getByTestId('live').textContent()).toBe('live');
    await page.evaluate(() => ((globalThis as any).__marker = 'same page'));
    const now = Date.now();
    const inc = { id: 'inc-live-arrival', tenant: 'default', title: 'Arrived while the queue was open', summary: '', status: 'needs_review', severity: 'critical', score: 99, confidence: 0.9, createdAt: now, updatedAt: now, firstSeen: now, lastSeen: now, signalIds: [], attack: { tactics: [], techniques: [] }, stages: [], entities: [], scoring: [], mergedFrom: [], revision: 1 };
    await s.ctx.store.putRecords('incidents', [{ id: inc.id, tenant: 'default', status: inc.status, ref: '', createdAt: now, updatedAt: now, doc: inc }]);
    await page.locator('[data-testid=queue-row][data-incident="inc-live-arrival"]').waitFor({ timeout: 10_000 });
    expect(await page.evaluate(() => (globalThis as any).__marker)).toBe('same page');
  });

  it('falls back to reading each incident when the list API carries no verdict or close reason', async () => {
    await page.route('**/api/v1/incidents?*', async (route) => {
      const res = await route.fetch();
      const body = (await res.json()) as { incidents: Record<string, unknown>[] };
      for (const i of body.incidents) {
        delete i.verdict;
        delete i.closeReason;
      }
      await route.fulfill({ response: res, json: body });
    });
    try {
      await page.goto(`${s.url}/`);
      const row = page.locator(`[data-testid=queue-row][data-incident="${seeded.demoIncidentId}"]`);
      await row.waitFor();
      // rita's verdict (recorded above) is the one in force; it comes from GET /api/v1/incidents/:id.
      await expect.poll(async () => (await row.getByTestId('verdict-badge').count()) && row.getByTestId('verdict-badge').textContent(), { timeout: 10_000 }).toMatch(/^malicious/);
    } finally {
      await page.unroute('**/api/v1/incidents?*');
    }
  });

  it('coverage: the heat map matches the API, a technique opens with its reason, gaps, and the layer downloads', async () => {
    const api = (await s.api('GET', '/api/v1/coverage')).json as { summary: Record<string, number>; techniques: { id: string; state: string; reason: string; tactics: string[]; detectors: unknown[] }[] };
    await page.goto(`${s.url}/coverage`);
    const matrix = page.getByTestId('coverage-matrix');
    await matrix.getByTestId('technique-cell').first().waitFor({ timeout: 60_000 });
    const ms = await page.evaluate(() => performance.now());
    console.log(`console perf: coverage heat map (${api.techniques.length} techniques) first rendered ${ms.toFixed(0)} ms after navigation`);
    expect(await matrix.locator('.mcol').count()).toBe(14);
    const parents = api.techniques.filter((t) => !t.id.includes('.'));
    expect(await matrix.getByTestId('technique-cell').count()).toBe(parents.reduce((n, t) => n + t.tactics.length, 0));
    // Each cell is coloured by its technique's state.
    const cellStates = new Map((await matrix.getByTestId('technique-cell').evaluateAll((els) => els.map((e) => [e.getAttribute('data-technique'), e.getAttribute('data-state')]))) as [string, string][]);
    const stateKey = (t: { state: string }) => ({ covered: ['validated', 'unvalidated', 'baseline'], 'covered-but-blind': ['blind'], 'data-without-detection': ['dataOnly'], uncovered: ['uncovered'] })[t.state] ?? [];
    for (const t of parents) expect(stateKey(t)).toContain(cellStates.get(t.id));
    expect(await page.getByTestId('coverage-summary').textContent()).toContain(`${api.summary.covered} covered`);
    // A technique: its reason as the API gives it, its rules/models.
    const pick = parents.find((t) => t.detectors.length > 0) ?? parents[0];
    await matrix.locator(`[data-technique="${pick.id}"]`).first().click();
    const detail = page.getByTestId('technique-detail');
    await detail.waitFor();
    expect(await detail.getByTestId('technique-reason').textContent()).toBe(pick.reason);
    expect(await detail.getByTestId('technique-detector').count()).toBe(Math.min(100, pick.detectors.length));
    // Gaps, ranked as the API ranks them; a gap opens its technique.
    const gapsApi = (await s.api('GET', '/api/v1/coverage/gaps?limit=100')).json as { gaps: { technique: string }[] };
    const gapRows = page.getByTestId('gap-row');
    expect(gapsApi.gaps.length).toBeGreaterThan(0); // the simulator's campaigns weigh the demo's techniques
    await gapRows.first().waitFor();
    expect(await gapRows.evaluateAll((els) => els.map((e) => e.getAttribute('data-technique')))).toEqual(gapsApi.gaps.map((g) => g.technique));
    await gapRows.first().locator('button.linkish').click();
    expect(await detail.locator('h2').textContent()).toContain(gapsApi.gaps[0].technique);
    expect(await detail.getByTestId('technique-gap').textContent()).toContain('next step');
    // The Navigator layer: a JSON download (never a page), valid against the format 4.5 schema.
    const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('download-layer').click()]);
    expect(dl.suggestedFilename()).toMatch(/^garrison-coverage-layer-\d{4}-\d{2}-\d{2}\.json$/);
    const layer = JSON.parse(readFileSync((await dl.path())!, 'utf8')) as { versions: { layer: string }; techniques: unknown[] };
    expect(NavigatorLayerSchema.safeParse(layer).success).toBe(true);
    expect(layer.versions.layer).toBe('4.5');
    expect(layer.techniques).toHaveLength(api.techniques.length);
    expect(page.url()).toBe(`${s.url}/coverage`);
  });

  it("coverage: the server's layer and a user's layer file open in the Navigator layer view; an invalid file is refused", async () => {
    const colourOf = async (m: string, id: string) => page.getByTestId(m).locator(`[data-technique="${id}"]`).first().evaluate((e) => (globalThis as any).getComputedStyle(e).backgroundColor as string);
    const covered = await page.getByTestId('coverage-matrix').locator('[data-testid=technique-cell]:not([data-state=uncovered])').first().getAttribute('data-technique');
    const expected = covered ? await colourOf('coverage-matrix', covered) : undefined;
    await page.getByTestId('tab-layer').click();
    await page.getByTestId('layer-server').click();
    await page.getByTestId('layer-matrix').getByTestId('technique-cell').first().waitFor({ timeout: 60_000 });
    expect(await page.getByTestId('layer-header').textContent()).toContain('Garrison detection coverage');
    if (covered) expect(await colourOf('layer-matrix', covered)).toBe(expected);
    const mine = { name: 'red team plan', versions: { attack: '18', navigator: '5.1.0', layer: '4.5' }, domain: 'enterprise-attack', techniques: [{ techniqueID: 'T1059', tactic: 'execution', score: 80, color: '#123456', comment: 'exercised in the March purple-team week' }, { techniqueID: 'T9999' }] };
    await page.getByTestId('layer-file').setInputFiles({ name: 'plan.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(mine)) });
    await page.getByTestId('layer-header').filter({ hasText: 'red team plan' }).waitFor();
    expect(await colourOf('layer-matrix', 'T1059')).toBe('rgb(18, 52, 86)');
    await page.getByTestId('layer-matrix').locator('[data-technique="T1059"]').click();
    expect(await page.getByTestId('layer-comment').textContent()).toBe('exercised in the March purple-team week');
    expect(await page.getByTestId('layer-view').textContent()).toContain('T9999');
    await page.getByTestId('layer-file').setInputFiles({ name: 'bad.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify({ ...mine, domain: 'ics-attack', techniques: [{ techniqueID: 'T1059', color: 'red' }] })) });
    const problems = page.getByTestId('layer-problems');
    await problems.waitFor();
    expect(await problems.textContent()).toContain('domain: ics-attack layers cannot be shown on the Enterprise matrix');
    expect(await problems.textContent()).toContain('techniques[0].color: must be a hex colour');
    expect(await page.getByTestId('layer-header').count()).toBe(0);
  });

  it('operations: detector status (rules loaded and rejected, baselines learning state, intel feeds)', async () => {
    const st = (await s.api('GET', '/api/v1/detectors/status')).json as DetectorStatus;
    await page.goto(`${s.url}/operations`);
    const sigma = page.getByTestId('sigma-status');
    await sigma.waitFor();
    expect(await sigma.textContent()).toContain(`${st.sigma.rules} rule(s) loaded`);
    expect(st.sigma.rules).toBeGreaterThan(10);
    expect(await page.getByTestId('engine-state').textContent()).toContain('engine switched off');
    const rows = page.getByTestId('baseline-row');
    expect(await rows.count()).toBe(st.baselines.models.length);
    expect(st.baselines.source).toBe('store');
    expect(await page.getByTestId('baselines').textContent()).toContain("from the engine's last checkpoint in the store");
    const rarity = page.locator('[data-testid=baseline-row][data-model=rarity]');
    expect(await rarity.getAttribute('data-state')).toBe('learning');
    expect(await rarity.textContent()).toContain('learning until 2026-12-03');
    expect(await page.locator('[data-testid=baseline-row][data-model=auth]').getAttribute('data-state')).toBe('ready');
    expect(await page.getByTestId('detectors').textContent()).toContain('no feed loaded');
  });

  it('outcomes: the outcome report (attack surface with its counts, operating figures) renders from the API', async () => {
    const api = (await s.api('GET', '/api/v1/metrics/report?window=7d&minutesPerIncident=30')).json as { surface: { counts: Record<string, number> } };
    expect(typeof api.surface.counts).toBe('object');
    await page.goto(`${s.url}/outcomes`); // not /metrics: that is the Prometheus endpoint
    const counts = page.getByTestId('surface-counts');
    await counts.waitFor();
    const text = (await counts.textContent()) ?? '';
    for (const v of Object.values(api.surface.counts)) expect(text).toContain(String(v));
    expect(await page.getByTestId('bar-chart').count()).toBeGreaterThan(0);
  });
});

describe('console: attacker-controlled values never execute', () => {
  let s: TestServer;
  let page: Page;
  const problems: string[] = [];
  beforeAll(async () => {
    s = await startConsoleServer();
    await seedDemo(s, { xss: true });
    // A failed login whose user name is a payload lands in the audit log.
    await s.app.inject({ method: 'POST', url: '/auth/login', payload: { user: '<img src=x onerror=alert(1)>', password: 'x' } });
    page = await browser.context.newPage();
    const host = new URL(s.url).host;
    page.on('dialog', (d) => {
      problems.push(`dialog ${d.type()}: ${d.message()}`);
      void d.dismiss();
    });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      // Chromium logs HTTP error statuses of fetches (a 404 for an API this server lacks) as console errors: not script execution.
      if (m.type() === 'error' && !/^Failed to load resource: the server responded with a status of 40[134]/.test(m.text())) problems.push(`console error: ${m.text()}`);
    });
    await page.route('**/*', (route) => {
      const u = new URL(route.request().url());
      if (u.host !== host || (u.protocol !== 'http:' && u.protocol !== 'https:')) {
        problems.push(`request to ${u.href}`);
        return route.abort();
      }
      return route.continue();
    });
  });
  afterAll(async () => {
    await page?.close();
    await s?.stop();
  });

  const inert = async () => {
    const st = await page.evaluate(() => {
      // Runs in the browser (the test's tsconfig has no DOM types).
      const w = globalThis as any;
      const d = w.document;
      return {
        xss: w.__xss,
        scripts: d.scripts.length,
        foreign: d.querySelectorAll('img, iframe, object, embed, base, meta[http-equiv], style, link[href*="evil"], input[autofocus], details[ontoggle], [onerror], [onload]').length,
        jsLinks: [...d.querySelectorAll('a')].filter((a: any) => !a.getAttribute('href')?.startsWith('/')).length,
      };
    });
    expect(st).toEqual({ xss: undefined, scripts: 1, foreign: 0, jsLinks: 0 });
    expect(problems).toEqual([]);
  };

  it('queue, auto-closed view, incident page (graph, timeline, verdict, ledger, evidence, event detail, actions)', async () => {
    await login(page, s.url, 'rita');
    await page.getByTestId('queue-row').first().waitFor();
    expect(await page.getByTestId('queue').textContent()).toContain('<script>window.__xss=1;alert(1)</script>');
    await inert();
    const oneByOne: string[] = [];
    const count = (r: { url: () => string }) => /\/api\/v1\/incidents\/inc-xss-closed$/.test(r.url()) && oneByOne.push(r.url());
    page.on('request', count);
    await page.getByRole('link', { name: 'Auto-closed' }).click();
    await page.getByTestId('queue-row').first().waitFor();
    await expect.poll(async () => page.getByTestId('close-reason').first().textContent()).toContain('benign: JaVaScRiPt:window.__xss=3 <a href="javascript:alert(1)">click</a>');
    expect(await page.getByTestId('queue-row').first().getByTestId('verdict-badge').textContent()).toBe('benign 50%');
    page.off('request', count);
    expect(oneByOne).toEqual([]); // the close reason came with the list
    await inert();
    await page.goto(`${s.url}/incidents/inc-xss`);
    await page.getByTestId('incident-title').waitFor();
    await page.getByTestId('ledger').waitFor();
    expect(await page.getByTestId('entity-graph').textContent()).toContain('<svg onload=alert(1)>');
    await inert();
    for (const i of [0, 3, 7]) {
      await page.getByTestId('evidence').nth(i).click();
      await page.getByTestId('evidence-modal').getByTestId('event-row').first().waitFor();
      await page.getByTestId('evidence-modal').getByTestId('event-row').nth(i).click();
      await page.getByTestId('event-fields').waitFor();
      await inert();
      await page.keyboard.press('Escape');
      await page.keyboard.press('Escape');
    }
    await page.locator('button.cite').first().click();
    await inert();
    await page.keyboard.press('Escape');
    await page.getByTestId('incident-events').getByTestId('event-row').first().waitFor();
    await page.getByTestId('entity-graph').locator('.node').nth(2).hover();
    await inert();
  });

  it('hunt results, event detail, saved searches and the Sigma draft', async () => {
    await page.getByRole('link', { name: 'Hunt' }).click();
    await page.getByLabel('range').selectOption('all');
    await page.getByLabel('query').fill('payload');
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    await page.getByTestId('hunt-results').getByTestId('event-row').first().waitFor();
    expect(await page.getByTestId('result-count').textContent()).toContain(`27 event(s)`);
    expect(await page.getByTestId('histogram').locator('rect').count()).toBe(60);
    await page.getByLabel('search name').fill('all payload events');
    await page.getByRole('button', { name: 'Save search' }).click();
    await page.locator('aside.saved button.linkish', { hasText: 'all payload events' }).waitFor();
    await page.getByTestId('hunt-results').getByTestId('event-row').nth(4).click();
    await page.getByTestId('event-raw').waitFor();
    await inert();
    await page.keyboard.press('Escape');
    await page.getByLabel('query').fill('CommandLine:"<svg onload=alert(1)>" AND NOT user:"javascript:alert(1)"');
    await page.getByTestId('to-sigma').click();
    const yaml = await page.getByTestId('sigma-yaml').inputValue();
    expect(yaml).toContain("CommandLine: '<svg onload=alert(1)>'");
    expect(yaml).toContain("User: 'javascript:alert(1)'");
    await inert();
    await page.keyboard.press('Escape');
    await page.locator('aside.saved button.linkish').first().click();
    await inert();
  });

  it('coverage: rule titles, log sources and reasons carrying payloads, the gaps, and hostile Navigator layers', async () => {
    await page.getByRole('link', { name: 'Coverage' }).click();
    await page.getByTestId('coverage-matrix').getByTestId('technique-cell').first().waitFor({ timeout: 60_000 });
    await page.getByTestId('expand-subs').check();
    await page.getByTestId('coverage-matrix').locator(`[data-technique="${XSS_TECHNIQUE}"]`).click();
    const reason = page.getByTestId('technique-reason');
    expect(await reason.textContent()).toContain(`Web shell ${xss(0)} ${xss(4)}`);
    expect(await reason.textContent()).toContain(xss(2));
    expect(await page.getByTestId('technique-detector').first().textContent()).toContain(xss(0));
    await inert();
    await page.getByText('include gaps without campaign').click();
    await page.locator(`[data-testid=gap-row][data-technique="${XSS_TECHNIQUE}"]`).waitFor({ timeout: 60_000 });
    expect(await page.locator(`[data-testid=gap-row][data-technique="${XSS_TECHNIQUE}"]`).textContent()).toContain(xss(0));
    await inert();
    // A hostile but valid layer: shown, every text as text, links not followed.
    await page.getByTestId('tab-layer').click();
    await page.getByTestId('layer-file').setInputFiles({ name: '<img src=x onerror=alert(1)>.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(xssLayer())) });
    await page.getByTestId('layer-header').waitFor();
    expect(await page.getByTestId('layer-header').textContent()).toContain(xss(0));
    await page.getByTestId('layer-matrix').locator('[data-technique="T1059"]').click();
    expect(await page.getByTestId('layer-comment').textContent()).toBe(xss(2));
    expect(await page.getByTestId('layer-detail').textContent()).toContain('javascript:alert(1)');
    await inert();
    await page.getByTestId('expand-subs').check();
    await page.getByTestId('layer-matrix').locator(`[data-technique="${XSS_TECHNIQUE}"]`).click();
    expect(await page.getByTestId('layer-comment').textContent()).toBe(XSS.join('\n'));
    await inert();
    // A hostile invalid layer: refused, its problems quoted as text.
    const bad = { name: xss(0), versions: { layer: xss(1) }, domain: xss(2), techniques: [{ techniqueID: xss(3), color: 'red;background:url(http://evil.example/x)', tactic: xss(4) }], legendItems: [{ label: xss(5), color: 'url(javascript:alert(1))' }] };
    await page.getByTestId('layer-file').setInputFiles({ name: 'bad.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(bad)) });
    await page.getByTestId('layer-problems').waitFor();
    expect(await page.getByTestId('layer-problems').textContent()).toContain('evil.example');
    await inert();
  });

  it('operations: ingest health, detectors, policy and the audit log', async () => {
    await page.getByRole('link', { name: 'Operations' }).click();
    await page.getByTestId('ingest').locator('tbody tr').first().waitFor();
    expect(await page.getByTestId('ingest').textContent()).toContain('api');
    await page.getByTestId('sigma-status').waitFor();
    expect(await page.getByTestId('sigma-status').textContent()).toMatch(/[1-9]\d* rejected/);
    expect(await page.getByTestId('rule-problems').textContent()).toContain('xss_broken.yml');
    await expect.poll(async () => page.getByTestId('detectors').textContent(), { timeout: 30_000 }).toContain(`Web shell ${xss(0)}`);
    if ((await s.api('GET', '/api/v1/audit?limit=1')).status === 200) {
      await page.getByTestId('audit').waitFor();
      await expect.poll(async () => page.getByTestId('audit').textContent()).toContain('<img src=x onerror=alert(1)>');
    } else await page.getByText('Audit log: not available').waitFor();
    await inert();
  });
});

describe('console: performance', () => {
  let s: TestServer;
  let page: Page;
  let bulkId: string;
  beforeAll(async () => {
    s = await startConsoleServer();
    bulkId = (await seedBulk(s)).bulkIncidentId;
    page = await browser.context.newPage();
    await login(page, s.url, 'rita');
  }, 120_000);
  afterAll(async () => {
    await page?.close();
    await s?.stop();
  });

  it('renders the queue of 1,000 incidents in under 1 s, virtualised', async () => {
    await page.goto(`${s.url}/`);
    await page.getByTestId('queue-row').first().waitFor();
    const ms = await page.evaluate(() => performance.now());
    const list = page.getByTestId('queue');
    expect(Number(await list.getAttribute('data-count'))).toBe(1003); // 1,001 incidents + 2 group headers
    expect(await page.getByTestId('queue-row').count()).toBeLessThan(60);
    console.log(`console perf: queue of 1,001 incidents first rendered ${ms.toFixed(0)} ms after navigation`);
    expect(ms).toBeLessThan(1000);
    // Scrolling to the end renders the last rows.
    await list.evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await expect.poll(async () => (await page.getByTestId('queue-row').last().getAttribute('data-incident')) ?? '').toMatch(/^inc-bulk-/);
  });

  it('renders an incident with 5,000 events in under 1 s, loading the rows in view', async () => {
    await page.goto(`${s.url}/incidents/${bulkId}`);
    await page.getByTestId('incident-events').getByTestId('event-row').first().waitFor();
    const ms = await page.evaluate(() => performance.now());
    expect(Number(await page.getByTestId('incident-events').getAttribute('data-count'))).toBe(5000);
    expect(await page.getByTestId('timeline').locator('.stage-bar').count()).toBe(2);
    console.log(`console perf: incident with 5,000 events first rendered ${ms.toFixed(0)} ms after navigation`);
    expect(ms).toBeLessThan(1000);
    const ev = page.getByTestId('incident-events');
    await ev.evaluate((el) => el.scrollTo(0, el.scrollHeight));
    await expect.poll(async () => (await ev.getByTestId('event-row').last().textContent()) ?? '', { timeout: 10_000 }).toContain('bulk read 4999');
  });
});
