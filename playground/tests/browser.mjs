// The playground in headless Chromium, driven by playwright-core. Run by `cargo xtask test`
// (xtask/src/suites/browser.rs), which serves dist/playground/ and passes:
//   PLAYGROUND_URL, PLAYWRIGHT_DIR (node_modules prefix), CHROMIUM, OUT_DIR,
//   FIXTURES (seed stream files, ':'-separated), FILTER_RECORDS (what the proxy filter wrote for them).
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const env = (k) => { const v = process.env[k]; if (!v) throw new Error(`${k} is not set`); return v; };
const URL_ = env('PLAYGROUND_URL');
const OUT = env('OUT_DIR');
const require = createRequire(path.resolve(env('PLAYWRIGHT_DIR'), 'package.json'));
const { chromium } = require('playwright-core');

const fixtures = env('FIXTURES').split(':').map((f) => JSON.parse(readFileSync(f, 'utf8')));
const filterRecords = JSON.parse(readFileSync(env('FILTER_RECORDS'), 'utf8'));

let failures = 0;
function check(ok, what, detail = '') {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${!ok && detail ? `\n     ${detail}` : ''}`);
  if (!ok) failures++;
}

const BLOCKED = `apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata:
  name: errors-only
  namespace: aks-istio-system
spec:
  accessLogging:
  - providers:
    - name: envoy
    filter:
      expression: response.code >= 400
`;

// The request form filled from a recorded stream, field by field as a user would.
function formFromFixture(fx) {
  const reqH = fx.request_headers || [];
  const resH = fx.response_headers || [];
  const props = { ...(fx.properties || {}) };
  const take = (k) => { const v = props[k]; delete props[k]; return v; };
  const h = (list, name) => (list.find(([k]) => k.toLowerCase() === name) || [])[1] || '';
  const time = take('request.time');
  const duration = take('request.duration');
  const protocol = take('request.protocol');
  const code = take('response.code');
  const status = h(resH, ':status') || (code ? String(code.int) : '');
  if (code && String(code.int) !== status) throw new Error('fixture response.code differs from :status');
  const meta = (fx.node && fx.node.metadata) || {};
  return {
    workload: {
      namespace: meta.NAMESPACE || '',
      labels: Object.entries(meta.LABELS || {}).map(([k, v]) => `${k}=${v}`).join(', '),
    },
    request: {
      direction: fx.direction,
      method: h(reqH, ':method'), path: h(reqH, ':path'), authority: h(reqH, ':authority'),
      protocol: protocol || '', status,
      startTime: time ? time.timestamp : '',
      durationMs: duration ? String(duration.duration_ns / 1e6) : '',
      requestHeaders: reqH.filter(([k]) => ![':method', ':path', ':authority'].includes(k)).map(([k, v]) => `${k}: ${v}`).join('\n'),
      responseHeaders: resH.filter(([k]) => k !== ':status').map(([k, v]) => `${k}: ${v}`).join('\n'),
      properties: JSON.stringify(props, null, 1),
    },
  };
}

async function setField(page, id, value) {
  const loc = page.locator('#' + id);
  if ((await loc.evaluate((e) => e.tagName)) === 'SELECT') await loc.selectOption(value);
  else await loc.fill(value);
}

async function waitQuiet(page) { await page.waitForTimeout(250); }

const profile = mkdtempSync(path.join(tmpdir(), 'meshtel-chromium-'));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: env('CHROMIUM'),
  headless: true,
  viewport: { width: 1400, height: 1000 },
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = context.pages()[0] || await context.newPage();
  const outside = [];
  const origin = new URL(URL_).origin;
  await context.route('**/*', (route) => {
    const u = route.request().url();
    if (u.startsWith(origin) || u.startsWith('data:')) return route.continue();
    outside.push(u);
    return route.abort();
  });
  const consoleErrors = [];
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));

  // 1. Load: the brief's example, interactive.
  const started = Date.now();
  await page.goto(URL_);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 20000 });
  const wall = Date.now() - started;
  const timing = await page.evaluate(() => ({ tti: window.__meshtel.tti, sinceNavigation: performance.now() }));
  const nav = await page.evaluate(() => { const n = performance.getEntriesByType('navigation')[0]; return n ? n.domContentLoadedEventEnd : null; });
  const readyAt = await page.evaluate(() => window.__meshtel.readyAt);
  console.log(`time to interactive: ${Math.round(readyAt)} ms after navigation start (engine init + first verdict ${Math.round(timing.tti)} ms; DOMContentLoaded ${nav === null ? '?' : Math.round(nav)} ms; goto→ready ${wall} ms wall clock)`);
  const wasmBytes = await page.evaluate(() => performance.getEntriesByType('resource').filter((r) => r.name.endsWith('.wasm')).map((r) => r.decodedBodySize || r.encodedBodySize));
  console.log(`playground wasm fetched: ${wasmBytes.join(', ')} bytes`);

  const briefRows = await page.locator('#findings tbody tr').allInnerTexts();
  check(briefRows.some((r) => r.includes('mesh-logging-default') && r.includes('warning') && r.includes('spec.accessLogging[0].providers[0].name')),
    'brief example: verdict table shows mesh-logging-default with the aks.allowed warning', briefRows.join(' | '));
  check((await page.locator('.verdict.warn').count()) > 0, 'brief example: verdict WARN');
  await page.screenshot({ path: path.join(OUT, 'playground-brief.png'), fullPage: false });

  // 2. Type a blocked resource: the finding and the marked line.
  await page.locator('#yaml').fill('');
  await page.locator('#yaml').focus();
  await page.keyboard.type(BLOCKED, { delay: 0 });
  await page.waitForFunction(() => [...document.querySelectorAll('#findings tr.finding')].some((r) => r.dataset.rule === 'aks.blocked'), null, { timeout: 5000 });
  const blocked = await page.locator('#findings tr.finding[data-rule="aks.blocked"]').first().innerText();
  check(blocked.includes('error') && blocked.includes('spec.accessLogging[0].filter') && /\b10\b/.test(blocked),
    'typed blocked filter: aks.blocked error on spec.accessLogging[0].filter at line 10', blocked);
  check((await page.locator('.verdict.deny').count()) > 0, 'typed blocked filter: verdict DENY');
  const marked = await page.locator('#yaml-editor .gutter div.bad').evaluateAll((ds) => ds.map((d) => d.dataset.line));
  check(marked.includes('10'), 'typed blocked filter: line 10 marked in the editor', `marked lines: ${marked}`);
  // Keyboard: Enter on the finding row selects the offending line in the editor.
  await page.locator('#findings tr.finding[data-rule="aks.blocked"]').first().focus();
  await page.keyboard.press('Enter');
  const selected = await page.evaluate(() => { const t = document.getElementById('yaml'); return document.activeElement === t ? t.value.slice(t.selectionStart, t.selectionEnd) : null; });
  check(selected !== null && selected.includes('filter:'), 'keyboard: Enter on a finding selects its line in the editor', String(selected));
  await page.screenshot({ path: path.join(OUT, 'playground-blocked.png') });

  // 3. A YAML error at its line and column.
  await page.locator('#yaml').fill('apiVersion: telemetry.istio.io/v1\nkind: Telemetry\nmetadata: {name: x\n');
  await page.waitForSelector('#input-error:not([hidden])', { timeout: 5000 });
  const yamlError = await page.locator('#input-error').innerText();
  check(/line \d+, column \d+/.test(yamlError), 'YAML error shown with line and column', yamlError);

  // 3b. A CEL error at its line and column (upstream Istio scope, where filters are allowed).
  await setField(page, 'scope', 'istio');
  await page.locator('#yaml').fill(BLOCKED.replace('response.code >= 400', 'response.code >= '));
  await page.waitForSelector('#cel tr.finding', { timeout: 5000 });
  const celRow = await page.locator('#cel tr.finding').first().innerText();
  const engineCel = await page.locator('#findings tr.finding[data-rule="istio.filter.cel"]').count();
  check(/error\s+11\s+\d+/.test(celRow) && engineCel === 1, 'CEL error shown at the expression line 11 with its column, and istio.filter.cel in the verdict', celRow);
  await setField(page, 'scope', 'aks');

  // 4. Simulated requests vs the proxy filter's records for the same streams.
  await page.locator('#gallery button[data-id="brief"]').click();
  await waitQuiet(page);
  for (const [i, fx] of fixtures.entries()) {
    const form = formFromFixture(fx);
    await setField(page, 'wl-namespace', form.workload.namespace);
    await setField(page, 'wl-labels', form.workload.labels);
    for (const [k, v] of Object.entries(form.request)) await setField(page, 'rq-' + k, v);
    await waitQuiet(page);
    const records = await page.locator('#simulation pre.record').allInnerTexts();
    const want = filterRecords[i];
    check(JSON.stringify(records) === JSON.stringify(want),
      `simulated ${fx.direction} request equals dist/proxy-filter.wasm's record (${want.length} record)`,
      `page:   ${JSON.stringify(records)}\n     filter: ${JSON.stringify(want)}`);
  }

  // 5. Share link: the whole state in the fragment, loaded in a new page.
  await page.locator('#share').click();
  await page.waitForFunction(() => location.hash.startsWith('#s='));
  const link = await page.evaluate(() => location.href);
  const before = { yaml: await page.locator('#yaml').inputValue(), records: await page.locator('#simulation pre.record').allInnerTexts(), rows: await page.locator('#findings tbody tr').allInnerTexts() };
  const page2 = await context.newPage();
  await page2.goto(link);
  await page2.waitForSelector('body[data-ready="true"]', { timeout: 20000 });
  const after = { yaml: await page2.locator('#yaml').inputValue(), records: await page2.locator('#simulation pre.record').allInnerTexts(), rows: await page2.locator('#findings tbody tr').allInnerTexts() };
  check(JSON.stringify(after) === JSON.stringify(before), `share link (${link.length} chars) restores the editor, verdict and simulated record`);
  await page2.close();

  // 6. The gallery: every example evaluates without an input error.
  const ids = await page.locator('#gallery button').evaluateAll((bs) => bs.map((b) => b.dataset.id));
  for (const id of ids) {
    await page.locator(`#gallery button[data-id="${id}"]`).click();
    await waitQuiet(page);
    const hidden = await page.locator('#input-error').isHidden();
    const n = await page.locator('#findings tbody tr').count();
    check(hidden && n > 0, `example ${id}: evaluates (${n} verdict row(s))`);
  }

  // Back to the brief for the final screenshot: the verdict table for the brief's example.
  await page.locator('#gallery button[data-id="brief"]').click();
  await waitQuiet(page);
  await page.screenshot({ path: path.join(OUT, 'playground.png'), fullPage: true });
  console.log(`screenshots: ${path.join(OUT, 'playground.png')} (brief, full page), playground-brief.png, playground-blocked.png`);

  check(outside.length === 0, 'no request left the page', outside.join(' '));
  check(consoleErrors.length === 0, 'no console errors', consoleErrors.join(' | '));
} finally {
  await context.close();
  rmSync(profile, { recursive: true, force: true });
}
if (failures) { console.error(`${failures} browser check(s) failed`); process.exit(1); }
console.log('browser test passed');
