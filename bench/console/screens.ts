/**
 * Screenshots of the console for the documentation: docs/img/console-{queue,incident,hunt,operations,coverage}.png.
 * A real server on a temp data dir with the demo scenario plus 1,000 queue incidents, Debian's
 * Chromium through playwright-core. Also prints the first-render times of the queue and the
 * incident page (performance.now() at the first row, as the integration test measures them).
 *
 *   npx tsx bench/console/screens.ts
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ensureConsoleBuilt, launch, PASSWORD, REPO, seedBulk, seedDemo, startConsoleServer } from '../../console/e2e/seed.js';

ensureConsoleBuilt();
const s = await startConsoleServer();
const b = await launch();
try {
  const demo = await seedDemo(s);
  await seedBulk(s);
  const dir = join(REPO, 'docs', 'img');
  mkdirSync(dir, { recursive: true });
  const page = await b.context.newPage();
  await page.goto(s.url + '/');
  await page.getByLabel('User', { exact: true }).fill('rita');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByTestId('queue-row').first().waitFor();
  await page.goto(s.url + '/');
  await page.getByTestId('queue-row').first().waitFor();
  const queueMs = await page.evaluate(() => performance.now());
  await page.screenshot({ path: join(dir, 'console-queue.png') });
  await page.goto(`${s.url}/incidents/${demo.demoIncidentId}`);
  await page.getByTestId('incident-events').getByTestId('event-row').first().waitFor();
  const incMs = await page.evaluate(() => performance.now());
  await page.getByTestId('ledger').waitFor();
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(dir, 'console-incident.png'), fullPage: true });
  await page.goto(`${s.url}/hunt`);
  await page.getByLabel('range').selectOption('all');
  await page.getByLabel('query').fill('host:ws-017 OR host:srv-fin-02');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await page.getByTestId('hunt-results').getByTestId('event-row').first().waitFor();
  await page.screenshot({ path: join(dir, 'console-hunt.png') });
  await page.goto(`${s.url}/operations`);
  await page.getByTestId('ingest').locator('tbody tr').first().waitFor();
  await page.waitForTimeout(500);
  await page.screenshot({ path: join(dir, 'console-operations.png'), fullPage: true });
  await page.goto(`${s.url}/coverage`);
  await page.getByTestId('coverage-matrix').getByTestId('technique-cell').first().waitFor({ timeout: 60_000 });
  const covMs = await page.evaluate(() => performance.now());
  await page.getByTestId('gap-row').first().waitFor({ timeout: 60_000 }).catch(() => undefined);
  const shown = page.getByTestId('coverage-matrix').locator('[data-testid=technique-cell][data-state=blind], [data-testid=technique-cell][data-state=validated]');
  if (await shown.count()) await shown.first().click();
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(dir, 'console-coverage.png') });
  console.log(`coverage heat map first cell: ${covMs.toFixed(0)} ms`);
  console.log(`queue (1,001 incidents) first row: ${queueMs.toFixed(0)} ms; demo incident first event row: ${incMs.toFixed(0)} ms`);
  console.log(`screenshots in ${dir}`);
} finally {
  await b.close();
  await s.stop();
}
