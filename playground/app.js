// meshtel playground: the page around the engine (pkg/policy_playground.js, built by wasm-bindgen).
// Every result comes from the engine's `evaluate(state)`; this file only reads the form and draws.
import init, { evaluate, about } from './pkg/policy_playground.js';
import { EXAMPLES, DEFAULT_CUSTOM_SCOPE, DEFAULT_REQUEST } from './examples.js';

const t0 = performance.now();
const $ = (id) => document.getElementById(id);
const REQUEST_FIELDS = ['direction', 'method', 'path', 'authority', 'protocol', 'status', 'startTime',
  'durationMs', 'requestHeaders', 'responseHeaders', 'properties'];

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v; else if (k === 'text') e.textContent = v; else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}

// ---- state <-> form <-> URL fragment ----
function readState() {
  const request = {};
  for (const f of REQUEST_FIELDS) request[f] = $('rq-' + f).value;
  return {
    yaml: $('yaml').value, mesh: $('mesh').value, scope: $('scope').value,
    customScope: $('customScope').value, revision: $('revision').value,
    rootNamespace: $('rootNamespace').value,
    workload: { namespace: $('wl-namespace').value, labels: $('wl-labels').value },
    mode: $('wl-mode').value, request,
  };
}

function applyState(s) {
  const set = (id, v) => { if (v !== undefined && v !== null) $(id).value = v; };
  set('yaml', s.yaml); set('mesh', s.mesh); set('scope', s.scope); set('revision', s.revision);
  set('rootNamespace', s.rootNamespace); set('customScope', s.customScope);
  if (s.workload) { set('wl-namespace', s.workload.namespace); set('wl-labels', s.workload.labels); }
  set('wl-mode', s.mode);
  if (s.request) for (const f of REQUEST_FIELDS) set('rq-' + f, s.request[f]);
  $('mesh-block').open = !!(s.mesh && s.mesh.trim());
  $('custom-scope-block').open = $('scope').value === 'custom';
}

function encodeState(s) {
  const bytes = new TextEncoder().encode(JSON.stringify(s));
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function decodeState(text) {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(b64 + '='.repeat((4 - (b64.length % 4)) % 4));
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(bin, (c) => c.charCodeAt(0))));
}

function stateFromHash() {
  const m = location.hash.match(/^#s=(.+)$/);
  if (!m) return null;
  try { return decodeState(m[1]); } catch (e) { setStatus('The share link could not be read: ' + e.message); return null; }
}

function shareLink() {
  const url = location.href.split('#')[0] + '#s=' + encodeState(readState());
  history.replaceState(null, '', url);
  return url;
}

// ---- editor: line numbers and marked lines ----
function drawEditor(marks) {
  const ta = $('yaml');
  const lines = ta.value.split('\n').length;
  const gutter = document.querySelector('#yaml-editor .gutter');
  const backdrop = document.querySelector('#yaml-editor .backdrop');
  gutter.replaceChildren(); backdrop.replaceChildren();
  for (let i = 1; i <= lines; i++) {
    const cls = marks.get(i) || '';
    gutter.append(el('div', { class: cls, 'data-line': String(i), text: (cls === 'bad' ? '\u25B6 ' : '') + i }));
    backdrop.append(el('div', { class: cls, 'data-line': String(i), text: ' ' }));
  }
  syncScroll();
}

function syncScroll() {
  const ta = $('yaml');
  const y = -ta.scrollTop;
  document.querySelector('#yaml-editor .gutter').style.transform = `translateY(${y}px)`;
  document.querySelector('#yaml-editor .backdrop').style.transform = `translate(${-ta.scrollLeft}px, ${y}px)`;
}

function goToLine(line) {
  const ta = $('yaml');
  const lines = ta.value.split('\n');
  let at = 0;
  for (let i = 0; i < line - 1 && i < lines.length; i++) at += lines[i].length + 1;
  ta.focus();
  ta.setSelectionRange(at, at + (lines[line - 1] || '').length);
  ta.scrollTop = Math.max(0, (line - 5) * 20);
  syncScroll();
}

// ---- rendering ----
function setStatus(text) { $('status').textContent = text; }

function renderError(err) {
  const box = $('input-error');
  if (!err) { box.hidden = true; box.textContent = ''; return; }
  const where = { resources: 'Telemetry', mesh: 'MeshConfig', scope: 'Custom scope' }[err.where] || err.where;
  const pos = err.line ? ` (line ${err.line}${err.column ? ', column ' + err.column : ''})` : '';
  box.hidden = false;
  box.textContent = `${where} cannot be read${pos}: ${err.message}`;
}

function renderReport(report) {
  const tbody = document.querySelector('#findings tbody');
  tbody.replaceChildren();
  const summary = $('summary');
  summary.replaceChildren();
  const marks = new Map();
  if (!report) return marks;
  const s = report.summary;
  summary.append(el('p', { text: `${s.resources} Telemetry resource(s): ${s.allowed} allowed, ${s.warned} with warnings, ${s.denied} denied` + (s.skipped ? `; ${s.skipped} other object(s) skipped` : '') + '.' }));
  for (const r of report.resources) {
    const name = `${r.namespace ? r.namespace + '/' : ''}${r.name || '(unnamed)'}`;
    if (r.findings.length === 0) {
      tbody.append(el('tr', {}, el('td', {}, name + ' ', el('span', { class: `verdict ${r.verdict}`, text: r.verdict })),
        el('td', { text: '—' }), el('td', { text: '' }), el('td', { text: '' }), el('td', { text: 'No findings.' })));
    }
    for (const f of r.findings) {
      const row = el('tr', { class: 'finding', tabindex: '0', 'data-severity': f.severity, 'data-rule': f.rule },
        el('td', {}, name + ' ', el('span', { class: `verdict ${r.verdict}`, text: r.verdict })),
        el('td', {}, el('span', { class: `sev ${f.severity}`, text: f.severity })),
        el('td', { class: 'line', text: f.line ? String(f.line) : '' }),
        el('td', { class: 'path', text: f.path }),
        el('td', {}, el('div', { text: f.message }), f.hint ? el('div', { class: 'hint', text: 'Fix: ' + f.hint }) : '', el('div', { class: 'hint', text: f.rule })));
      if (f.line) {
        row.title = `Go to line ${f.line}`;
        const go = () => goToLine(f.line);
        row.addEventListener('click', go);
        row.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); go(); } });
        const prev = marks.get(f.line);
        if (f.severity === 'error') marks.set(f.line, 'bad'); else if (prev !== 'bad') marks.set(f.line, 'warn');
      }
      tbody.append(row);
    }
  }
  return marks;
}

function renderCel(list, marks) {
  const box = $('cel');
  box.replaceChildren();
  if (!list || list.length === 0) return;
  const table = el('table', { class: 'findings cel' },
    el('caption', { text: 'CEL checker (filter expressions and tag values)' }),
    el('thead', {}, el('tr', {}, ...['Severity', 'Line', 'Column', 'Path', 'Message'].map((h) => el('th', { scope: 'col', text: h })))));
  const tbody = el('tbody');
  for (const d of list) {
    const row = el('tr', { class: 'finding', tabindex: '0', 'data-rule': 'cel' },
      el('td', {}, el('span', { class: `sev ${d.severity}`, text: d.severity })),
      el('td', { class: 'line', text: d.line ? String(d.line) : '' }),
      el('td', { text: String(d.column) }),
      el('td', { class: 'path', text: d.path }),
      el('td', {}, el('div', { text: d.message }), el('div', { class: 'hint', text: `${d.expression}` }), d.hint ? el('div', { class: 'hint', text: 'Fix: ' + d.hint }) : ''));
    if (d.line) {
      const go = () => goToLine(d.line);
      row.addEventListener('click', go);
      row.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); go(); } });
      if (d.severity === 'error') marks.set(d.line, 'bad'); else if (marks.get(d.line) !== 'bad') marks.set(d.line, 'warn');
    }
    tbody.append(row);
  }
  table.append(tbody);
  box.append(table);
}

function dl(pairs) {
  const d = el('dl');
  for (const [k, v] of pairs) d.append(el('dt', { text: k }), el('dd', { text: v }));
  return d;
}

function renderEffective(list, mode, note) {
  const box = $('effective');
  box.replaceChildren();
  $('metrics-note').textContent = note || '';
  if (!list) return;
  const wrap = el('div', { class: 'effective' });
  for (const e of list) {
    if (mode !== 'BOTH' && e.mode !== mode) continue;
    const logging = e.accessLogging === null ? 'not configured (MeshConfig accessLogFile applies)'
      : e.accessLogging.length === 0 ? 'off'
      : e.accessLogging.map((p) => p.provider + (p.filter ? ` (filter: ${p.filter})` : '')).join(', ');
    const tracing = !e.tracing ? 'not configured (MeshConfig tracing applies)'
      : e.tracing.disabled ? `disabled${e.tracing.provider ? ' (' + e.tracing.provider + ')' : ' (no provider)'}`
      : `${e.tracing.provider}, sampling ${e.tracing.randomSamplingPercentage ?? 'proxy default'}%` +
        (e.tracing.customTags ? `, tags ${Object.keys(e.tracing.customTags).join(', ')}` : '');
    const side = e.mode === 'CLIENT' ? 'client' : 'server';
    const metrics = e.metrics.length === 0 ? 'default providers, no overrides' : e.metrics.map((m) => {
      const mm = m[side];
      if (mm.disabled) return `${m.provider}: off`;
      const o = mm.overrides.map((x) => x.name + (x.disabled ? ' disabled' : '') +
        (x.tags.length ? ' [' + x.tags.map((t) => t.remove ? `-${t.name}` : `${t.name}=${t.value}`).join(' ') + ']' : '')).join('; ');
      return `${m.provider}: ${o || 'no overrides'}${m.reportingInterval ? ', every ' + m.reportingInterval : ''}`;
    }).join(' | ');
    wrap.append(el('section', { 'data-mode': e.mode }, el('h3', { text: `${e.mode} (${e.mode === 'CLIENT' ? 'outbound' : 'inbound'})` }),
      dl([['From', e.sources.join(', ') || '(none)'], ['Access logging', logging], ['Metrics', metrics], ['Tracing', tracing]])));
  }
  box.append(wrap);
}

function renderSimulation(sim) {
  const box = $('simulation');
  box.replaceChildren();
  if (!sim) return;
  if (sim.error) { box.append(el('div', { class: 'error-box', role: 'alert', text: sim.error })); return; }
  const n = sim.records.length;
  box.append(el('p', { text: `${n} access-log record(s) in ${sim.mode} mode, rendered by the filter's access-log plan:` }));
  for (const r of sim.records) box.append(el('pre', { class: 'record', text: r }));
  for (const w of sim.warnings || []) box.append(el('p', { class: 'hint', text: 'Note: ' + w }));
}

let ready = false;
function run() {
  const state = readState();
  $('custom-scope-block').open = $('custom-scope-block').open || state.scope === 'custom';
  const out = JSON.parse(evaluate(JSON.stringify(state)));
  if (out.fatal) { setStatus(out.fatal); return; }
  renderError(out.error);
  let marks = new Map();
  if (out.error) {
    if (out.error.where === 'resources' && out.error.line) marks.set(out.error.line, 'bad');
    renderReport(null); renderCel(null, marks); renderEffective(null); renderSimulation(null);
  } else {
    marks = renderReport(out.report);
    renderCel(out.cel, marks);
    renderEffective(out.effective, state.mode, out.metricsNote);
    renderSimulation(out.simulation);
  }
  drawEditor(marks);
  if (!ready) {
    ready = true;
    const tti = performance.now() - t0;
    window.__meshtel = { ready: true, tti, readyAt: performance.now() };
    document.body.dataset.ready = 'true';
    setStatus(`Engine ready in ${Math.round(tti)} ms. Results update as you type.`);
  }
}

let timer = 0;
function schedule() { clearTimeout(timer); timer = setTimeout(run, 60); }

function loadExample(ex) {
  applyState({ rootNamespace: '', ...ex.state, customScope: $('customScope').value, request: undefined });
  for (const b of document.querySelectorAll('#gallery button')) b.setAttribute('aria-pressed', String(b.dataset.id === ex.id));
  run();
}

async function main() {
  for (const ex of EXAMPLES) {
    const b = el('button', { type: 'button', 'data-id': ex.id, 'aria-pressed': 'false', text: ex.title });
    b.addEventListener('click', () => loadExample(ex));
    $('gallery').append(el('li', {}, b));
  }
  $('customScope').value = DEFAULT_CUSTOM_SCOPE;
  applyState({ request: DEFAULT_REQUEST });
  const shared = stateFromHash();
  if (shared) applyState(shared); else applyState({ ...EXAMPLES[0].state });
  if (!shared) document.querySelector('#gallery button').setAttribute('aria-pressed', 'true');

  for (const f of document.querySelectorAll('form')) f.addEventListener('submit', (e) => e.preventDefault());
  await init();
  $('version').textContent = JSON.parse(about()).version;
  for (const e of document.querySelectorAll('input, select, textarea')) e.addEventListener('input', schedule);
  $('yaml').addEventListener('scroll', syncScroll);
  $('yaml').addEventListener('input', () => { for (const b of document.querySelectorAll('#gallery button')) b.setAttribute('aria-pressed', 'false'); });
  document.addEventListener('keydown', (e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); run(); } });
  $('share').addEventListener('click', async () => {
    const url = shareLink();
    try { await navigator.clipboard.writeText(url); setStatus('Share link copied to the clipboard (the whole state is in the URL fragment).'); }
    catch { setStatus('Share link is in the address bar (the whole state is in the URL fragment).'); }
  });
  window.addEventListener('hashchange', () => { const s = stateFromHash(); if (s) { applyState(s); run(); } });
  run();
}

main().catch((e) => setStatus('The engine failed to load: ' + e));
