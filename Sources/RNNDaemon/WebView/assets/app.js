// rnnd's web view: one module, no dependencies. Every value from the store is inserted as text
// (textContent, never innerHTML); the Content-Security-Policy forbids inline scripts and eval.

const csrf = document.querySelector('meta[name="csrf-token"]')?.content ?? '';
const main = document.getElementById('main');

// Ten colours (Tableau 10) and ten dash patterns: ten runs before a style repeats, and runs stay apart
// without colour vision.
export const palette = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
export const dashes = [[], [8, 4], [2, 3], [10, 3, 2, 3], [4, 4], [12, 4, 4, 4], [1, 5], [6, 2, 2, 2, 2, 2], [14, 6], [3, 6]];
const style = (i) => ({ colour: palette[i % palette.length], dash: dashes[i % dashes.length] });

// ---------------------------------------------------------------------------------------------------------
// Helpers

/** An element: props are attributes (`class`, `href`, …), `text`, or `on…` handlers; children are nodes or text. */
function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'text') node.textContent = String(value);
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

class APIError extends Error {
  constructor(status, body) {
    super(body?.error ?? `HTTP ${status}`);
    this.status = status;
    this.field = body?.field;
  }
}

/** The JSON API, with the session's cookie; state-changing requests carry the CSRF token. */
async function api(path, { method = 'GET', body } = {}) {
  const headers = { Accept: 'application/json' };
  if (method !== 'GET') headers['X-CSRF-Token'] = csrf;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) throw new APIError(response.status, data);
  return data;
}

/** A number from the wire: non-finite values arrive as "nan", "inf", "-inf". */
const value = (v) => (typeof v === 'number' ? v : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : v == null ? null : NaN);

function num(v, digits = 4) {
  v = value(v);
  if (v === null || v === undefined) return '-';
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v) && Math.abs(v) < 1e6) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e6) ? v.toExponential(2) : v.toFixed(digits);
}

const pad = (n) => String(n).padStart(2, '0');
/** Local time as rnnctl prints it. */
function time(unix) {
  if (unix == null) return '-';
  const d = new Date(unix * 1000);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

function duration(seconds) {
  if (seconds == null || !Number.isFinite(seconds)) return '-';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${pad(s % 60)}s`;
  return `${Math.floor(s / 3600)}h${pad(Math.floor((s % 3600) / 60))}m`;
}

const badge = (state) => h('span', { class: `badge ${state}`, 'data-state': state, text: state });
const progressText = (run) => (run.max_steps > 0 ? `${run.step}/${run.max_steps}` : String(run.step));

function download(name, blob) {
  const a = h('a', { href: URL.createObjectURL(blob), download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

function showError(where, error) {
  where.replaceChildren(h('div', { class: 'error', role: 'alert', text: error.message }));
}

/**
 * Step → seconds of training, from a run's `wall_time` series (recorded every step, carried across resumes),
 * by linear interpolation between its points: the chart's time axes.
 */
function timeMap(points) {
  const pts = points.map((p) => [p.step, value(p.value)]).filter(([, v]) => Number.isFinite(v)).sort((a, b) => a[0] - b[0]);
  if (pts.length < 2) return null;
  return (step) => {
    let lo = 0, hi = pts.length - 1;
    if (step <= pts[0][0]) return pts[0][1];
    if (step >= pts[hi][0]) return pts[hi][1];
    while (hi - lo > 1) { const mid = (lo + hi) >> 1; if (pts[mid][0] <= step) lo = mid; else hi = mid; }
    const [x0, y0] = pts[lo], [x1, y1] = pts[hi];
    return y0 + ((y1 - y0) * (step - x0)) / (x1 - x0);
  };
}

async function loadTimeMap(runID) {
  try { return timeMap((await api(`/v1/runs/${runID}/metrics/wall_time?max_points=2000`)).points); } catch { return null; }
}

// ---------------------------------------------------------------------------------------------------------
// The chart: curves on a canvas, with a min/max band for long histories, smoothing that keeps the raw curve
// faint behind (a debiased moving average, so the first point does not drag the start), log axes, zoom
// (drag across; double-click resets), a hover readout, and export of what is shown.

export class LineChart {
  constructor(container, title, { logX = false, logY = false, xName = 'step', timeAxis = false } = {}) {
    this.title = title;
    this.series = [];
    this.logX = logX;
    this.logY = logY;
    this.xName = xName;
    this.stepName = xName;
    // x: 'step', 'time' (seconds of training) or 'clock' (the run's start plus its training time).
    this.xMode = 'step';
    this.smoothing = 0;
    this.zoom = null;
    const smoothing = h('input', { type: 'range', min: 0, max: 0.99, step: 0.01, value: 0, 'aria-label': 'smoothing' });
    smoothing.addEventListener('input', () => { this.smoothing = Number(smoothing.value); this.draw(); });
    const toggle = (label, key) => {
      const box = h('input', { type: 'checkbox', checked: this[key] });
      box.addEventListener('change', () => { this[key] = box.checked; this.zoom = null; this.draw(); });
      return h('label', {}, box, ` ${label}`);
    };
    const xSelect = h('select', { 'aria-label': 'x axis', 'data-x-axis': '' },
      h('option', { value: 'step', text: 'x: step' }), h('option', { value: 'time', text: 'x: training time' }), h('option', { value: 'clock', text: 'x: wall clock' }));
    xSelect.addEventListener('change', () => { this.xMode = xSelect.value; this.xName = this.xMode === 'step' ? this.stepName : this.xMode === 'time' ? 'seconds' : 'time'; this.zoom = null; this.draw(); });
    this.canvas = h('canvas', { class: 'plot', role: 'img', 'aria-label': `${title} chart` });
    this.legend = h('div', { class: 'legend' });
    this.readout = h('div', { class: 'readout' });
    this.root = h('div', { class: 'chart', 'data-metric': title },
      h('h3', { text: title }),
      h('div', { class: 'controls' },
        h('label', {}, 'smoothing ', smoothing), timeAxis ? xSelect : '', toggle('log x', 'logX'), toggle('log y', 'logY'),
        h('button', { type: 'button', onclick: () => { this.zoom = null; this.draw(); }, text: 'reset zoom' }),
        h('button', { type: 'button', onclick: () => this.exportCSV(), text: 'CSV' }),
        h('button', { type: 'button', onclick: () => this.exportJSON(), text: 'JSON' }),
        h('button', { type: 'button', onclick: () => this.exportSVG(), text: 'SVG' }),
        h('button', { type: 'button', onclick: () => this.canvas.toBlob((b) => download(`${this.title}.png`, b)), text: 'PNG' })),
      this.canvas, this.readout, this.legend);
    container.append(this.root);
    this.bindPointer();
    new ResizeObserver(() => this.draw()).observe(this.canvas);
  }

  /** series: [{label, colour, dash, points: [[step, value], …], time?: step → seconds, start?: Unix seconds}] */
  setSeries(series) {
    this.series = series;
    this.legend.replaceChildren(...series.map((s) => {
      const sample = h('canvas', { width: 36, height: 10 });
      const ctx = sample.getContext('2d');
      ctx.strokeStyle = s.colour; ctx.lineWidth = 2; ctx.setLineDash(s.dash);
      ctx.beginPath(); ctx.moveTo(0, 5); ctx.lineTo(36, 5); ctx.stroke();
      return h('span', { class: 'legend-item' }, sample, ` ${s.label}`);
    }));
    this.draw();
  }

  /** Appends one point to the series labelled `label` (live updates). */
  append(label, step, v) {
    const s = this.series.find((x) => x.label === label);
    if (!s) return;
    const last = s.points[s.points.length - 1];
    if (last && last[0] >= step) return;
    s.points.push([step, v]);
    this.root.dataset.points = String(this.series.reduce((n, x) => n + x.points.length, 0));
    this.scheduleDraw();
  }

  scheduleDraw() {
    if (this.pending) return;
    this.pending = requestAnimationFrame(() => { this.pending = null; this.draw(); });
  }

  /** A step on the chosen x axis (null when that series has no time record). */
  xOf(s, step) {
    if (this.xMode === 'step') return step;
    if (!s.time) return null;
    return this.xMode === 'time' ? s.time(step) : (s.start ?? 0) + s.time(step);
  }

  tx(x) { return x === null ? null : this.logX ? (x > 0 ? Math.log10(x) : null) : x; }
  ty(y) { y = value(y); if (!Number.isFinite(y)) return null; return this.logY ? (y > 0 ? Math.log10(y) : null) : y; }

  /** The series as drawn: transformed, zoomed, smoothed, and for long ones a band of bucket minima and maxima. */
  prepared(width) {
    const [z0, z1] = this.zoom ?? [-Infinity, Infinity];
    return this.series.map((s) => {
      const pts = [];
      for (const [step, y] of s.points) {
        const x = this.xOf(s, step);
        const X = this.tx(x), Y = this.ty(y);
        if (X === null || Y === null || x < z0 || x > z1) continue;
        pts.push([X, Y]);
      }
      let band = null, line = pts;
      const columns = Math.max(50, Math.floor(width / 3));
      if (pts.length > columns * 2) {
        const x0 = pts[0][0], span = pts[pts.length - 1][0] - x0 || 1;
        const buckets = new Map();
        for (const [x, y] of pts) {
          const k = Math.min(columns - 1, Math.floor(((x - x0) / span) * columns));
          const b = buckets.get(k) ?? { xs: 0, sum: 0, n: 0, lo: Infinity, hi: -Infinity };
          b.xs += x; b.sum += y; b.n += 1; b.lo = Math.min(b.lo, y); b.hi = Math.max(b.hi, y);
          buckets.set(k, b);
        }
        const ordered = [...buckets.entries()].sort((a, b) => a[0] - b[0]).map(([, b]) => b);
        band = ordered.map((b) => [b.xs / b.n, b.lo, b.hi]);
        line = ordered.map((b) => [b.xs / b.n, b.sum / b.n]);
      }
      let smooth = null;
      if (this.smoothing > 0 && line.length > 1) {
        let acc = 0, weight = 0;
        smooth = line.map(([x, y]) => {
          acc = this.smoothing * acc + (1 - this.smoothing) * y;
          weight = this.smoothing * weight + (1 - this.smoothing);
          return [x, acc / weight];
        });
      }
      return { ...s, line, band, smooth };
    });
  }

  draw() {
    const canvas = this.canvas, ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth || 600, height = canvas.clientHeight || 260;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    const ctx = canvas.getContext('2d');
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    const drawn = this.prepared(width);
    this.drawn = drawn;
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (const s of drawn) {
      for (const [x, y] of s.line) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
      for (const [, lo, hi] of s.band ?? []) { y0 = Math.min(y0, lo); y1 = Math.max(y1, hi); }
    }
    const left = 58, right = 12, top = 8, bottom = 26, w = width - left - right, hgt = height - top - bottom;
    ctx.font = '11px system-ui, sans-serif';
    ctx.fillStyle = '#5b6475';
    if (!Number.isFinite(x0)) {
      ctx.fillText('no points yet', left + 10, top + 20);
      this.frame = null;
      return;
    }
    if (x1 <= x0) { x0 -= 0.5; x1 += 0.5; }
    if (y1 <= y0) { const d = Math.abs(y0) * 0.05 || 0.5; y0 -= d; y1 += d; }
    const pad = (y1 - y0) * 0.04; y0 -= pad; y1 += pad;
    const px = (x) => left + ((x - x0) / (x1 - x0)) * w;
    const py = (y) => top + hgt - ((y - y0) / (y1 - y0)) * hgt;
    this.frame = { x0, x1, y0, y1, left, top, w, hgt, px, py };
    const yLabel = (v) => num(this.logY ? 10 ** v : v, 3);
    const xLabel = (v) => {
      const raw = this.logX ? 10 ** v : v;
      return this.xMode === 'clock' ? time(raw).slice(11) : this.xMode === 'time' ? duration(raw) : num(raw, 3);
    };
    ctx.strokeStyle = '#e6e9ef'; ctx.lineWidth = 1; ctx.setLineDash([]);
    ctx.textAlign = 'right';
    for (let i = 0; i <= 4; i++) {
      const v = y0 + ((y1 - y0) * i) / 4, y = py(v);
      ctx.beginPath(); ctx.moveTo(left, y); ctx.lineTo(left + w, y); ctx.stroke();
      ctx.fillText(yLabel(v), left - 6, y + 4);
    }
    ctx.textAlign = 'center';
    for (let i = 0; i <= 4; i++) {
      const v = x0 + ((x1 - x0) * i) / 4;
      ctx.fillText(xLabel(v), px(v), top + hgt + 16);
    }
    ctx.strokeStyle = '#b8bfcc'; ctx.strokeRect(left, top, w, hgt);
    ctx.save();
    ctx.beginPath(); ctx.rect(left, top, w, hgt); ctx.clip();
    for (const s of drawn) {
      if (s.band) {
        ctx.fillStyle = s.colour; ctx.globalAlpha = 0.18;
        ctx.beginPath();
        s.band.forEach(([x, , hi], i) => (i ? ctx.lineTo(px(x), py(hi)) : ctx.moveTo(px(x), py(hi))));
        for (let i = s.band.length - 1; i >= 0; i--) ctx.lineTo(px(s.band[i][0]), py(s.band[i][1]));
        ctx.closePath(); ctx.fill();
      }
      const path = (pts, alpha, lineWidth) => {
        ctx.globalAlpha = alpha; ctx.strokeStyle = s.colour; ctx.lineWidth = lineWidth; ctx.setLineDash(s.dash);
        ctx.beginPath();
        pts.forEach(([x, y], i) => (i ? ctx.lineTo(px(x), py(y)) : ctx.moveTo(px(x), py(y))));
        ctx.stroke();
      };
      if (s.smooth) { path(s.line, 0.25, 1); path(s.smooth, 1, 1.8); } else path(s.line, 1, 1.6);
      if (s.line.length === 1) {
        ctx.globalAlpha = 1; ctx.fillStyle = s.colour;
        ctx.beginPath(); ctx.arc(px(s.line[0][0]), py(s.line[0][1]), 4, 0, Math.PI * 2); ctx.fill();
      }
    }
    ctx.restore();
    ctx.globalAlpha = 1;
    if (this.selection) {
      ctx.fillStyle = 'rgba(31, 78, 121, 0.12)';
      const [a, b] = this.selection;
      ctx.fillRect(Math.min(a, b), top, Math.abs(b - a), hgt);
    }
  }

  /** The data point of each series nearest to canvas x, in data units. */
  nearest(cx) {
    const f = this.frame;
    if (!f) return [];
    const x = f.x0 + ((cx - f.left) / f.w) * (f.x1 - f.x0);
    return this.drawn.map((s) => {
      const pts = s.smooth ?? s.line;
      let best = null;
      for (const p of pts) if (!best || Math.abs(p[0] - x) < Math.abs(best[0] - x)) best = p;
      return best && { label: s.label, x: this.logX ? 10 ** best[0] : best[0], y: this.logY ? 10 ** best[1] : best[1] };
    }).filter(Boolean);
  }

  bindPointer() {
    const c = this.canvas;
    const at = (e) => e.clientX - c.getBoundingClientRect().left;
    c.addEventListener('mousemove', (e) => {
      const points = this.nearest(at(e));
      const place = (x) => (this.xMode === 'clock' ? time(x) : this.xMode === 'time' ? duration(x) : `${this.xName} ${Math.round(x)}`);
      this.readout.textContent = points.map((p) => `${p.label}: ${place(p.x)} → ${num(p.y)}`).join('   ');
      if (this.selection) { this.selection[1] = at(e); this.draw(); }
    });
    c.addEventListener('mousedown', (e) => { this.selection = [at(e), at(e)]; });
    c.addEventListener('mouseup', () => {
      const f = this.frame, sel = this.selection;
      this.selection = null;
      if (f && sel && Math.abs(sel[1] - sel[0]) > 4) {
        const toX = (cx) => { const v = f.x0 + ((cx - f.left) / f.w) * (f.x1 - f.x0); return this.logX ? 10 ** v : v; };
        this.zoom = [toX(Math.min(...sel)), toX(Math.max(...sel))];
      }
      this.draw();
    });
    c.addEventListener('dblclick', () => { this.zoom = null; this.draw(); });
  }

  shown() {
    const [z0, z1] = this.zoom ?? [-Infinity, Infinity];
    return this.series.map((s) => ({ label: s.label, points: s.points.filter(([step]) => { const x = this.xOf(s, step); return x !== null && x >= z0 && x <= z1; }) }));
  }

  exportCSV() {
    const rows = ['series,step,value'];
    for (const s of this.shown()) for (const [x, y] of s.points) rows.push(`"${s.label.replaceAll('"', '""')}",${x},${value(y)}`);
    download(`${this.title}.csv`, new Blob([rows.join('\n') + '\n'], { type: 'text/csv' }));
  }

  exportJSON() {
    const data = this.shown().map((s) => ({ series: s.label, points: s.points.map(([step, v]) => ({ step, value: value(v) })) }));
    download(`${this.title}.json`, new Blob([JSON.stringify({ metric: this.title, series: data }, null, 2)], { type: 'application/json' }));
  }

  exportSVG() {
    const f = this.frame;
    if (!f) return;
    const W = this.canvas.clientWidth, H = this.canvas.clientHeight;
    const esc = (t) => t.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
    const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H + 20 * this.drawn.length}" font-family="sans-serif" font-size="11">`,
      `<rect width="100%" height="100%" fill="white"/><rect x="${f.left}" y="${f.top}" width="${f.w}" height="${f.hgt}" fill="none" stroke="#b8bfcc"/>`];
    this.drawn.forEach((s, i) => {
      const pts = (s.smooth ?? s.line).map(([x, y]) => `${f.px(x).toFixed(1)},${f.py(y).toFixed(1)}`).join(' ');
      parts.push(`<polyline fill="none" stroke="${s.colour}" stroke-width="1.6" stroke-dasharray="${s.dash.join(' ')}" points="${pts}"/>`);
      parts.push(`<text x="${f.left}" y="${H + 14 + 20 * i}" fill="${s.colour}">${esc(s.label)}</text>`);
    });
    parts.push('</svg>');
    download(`${this.title}.svg`, new Blob([parts.join('\n')], { type: 'image/svg+xml' }));
  }
}

// ---------------------------------------------------------------------------------------------------------
// Runs page

const columns = {
  id: { title: 'id', sort: 'id', cell: (r) => h('a', { href: `/ui/runs/${r.id}`, text: r.id }), num: true },
  name: { title: 'name', sort: 'name', cell: (r) => h('a', { href: `/ui/runs/${r.id}`, text: r.name }) },
  state: { title: 'state', sort: 'state', cell: (r) => badge(r.state) },
  step: { title: 'step', cell: (r) => progressText(r), num: true },
  epoch: { title: 'epoch', cell: (r) => r.epoch ?? '-', num: true },
  train_loss: { title: 'train_loss', sort: 'latest.train_loss', cell: (r) => num(r.train_loss), num: true },
  val_loss: { title: 'val_loss', sort: 'latest.val_loss', cell: (r) => num(r.val_loss), num: true },
  best_val_loss: { title: 'best_val_loss', sort: 'best.val_loss', cell: (r) => num(r.best_val_loss), num: true },
  tokens_per_s: { title: 'tokens/s', cell: (r) => num(r.tokens_per_second, 0), num: true },
  eta: { title: 'eta', cell: (r) => duration(r.eta_seconds) },
  priority: { title: 'priority', sort: 'priority', cell: (r) => r.priority, num: true },
  workers: { title: 'workers', sort: 'workers', cell: (r) => r.workers, num: true },
  restarts: { title: 'restarts', sort: 'restarts', cell: (r) => r.restarts, num: true },
  submitted: { title: 'submitted', sort: 'submitted', cell: (r) => time(r.submitted_at) },
  user: { title: 'uid', cell: (r) => r.submitted_by ?? '-' },
  tags: { title: 'tags', cell: (r) => (r.tags ?? []).map((t) => h('span', { class: 'tag', text: t })) },
  note: { title: 'note', cell: (r) => r.note ?? '' },
};
const defaultColumns = ['id', 'name', 'state', 'step', 'train_loss', 'best_val_loss', 'submitted', 'tags'];

async function runsPage() {
  const params = new URLSearchParams(location.search);
  let filter = params.get('filter') ?? '';
  let sort = params.get('sort') ?? '-submitted';
  let offset = Number(params.get('offset') ?? 0) || 0;
  const limit = 50;
  let chosen = JSON.parse(localStorage.getItem('rnnd.columns') ?? 'null') ?? defaultColumns;
  chosen = chosen.filter((c) => columns[c]);
  const selected = new Set();
  // Metric columns: each named metric's latest, min, max and best value, sortable.
  let metricColumns = JSON.parse(localStorage.getItem('rnnd.metrics') ?? '[]');
  const summaryColumns = () => metricColumns.flatMap((m) => ['latest', 'min', 'max', 'best'].map((which) => ({
    key: `${which}.${m}`, title: `${m} ${which}`, sort: `${which}.${m}`, num: true,
    cell: (r) => { const s = (r.metrics ?? []).find((x) => x.name === m); return s ? num(which === 'latest' ? s.latest_value : which === 'best' ? s.best_value : which === 'min' ? s.min_value : s.max_value) : '-'; },
  })));
  const metricsInput = h('input', { type: 'text', name: 'metrics', value: metricColumns.join(', '), placeholder: 'metric columns, e.g. val_loss, grad_norm', 'aria-label': 'metric columns', size: 28 });

  const search = h('input', { type: 'search', name: 'filter', value: filter, placeholder: "filter, e.g. cell = lstm and best.val_loss < 1.6", 'aria-label': 'filter' });
  const errors = h('div', { id: 'filter-error' });
  const table = h('table', { id: 'runs' });
  const count = h('span', { class: 'muted' });
  const compare = h('button', { type: 'button', class: 'primary', disabled: true, text: 'Compare selected',
    onclick: () => { location.href = `/ui/compare?runs=${[...selected].join(',')}`; } });
  const picker = h('details', { class: 'columns' }, h('summary', { text: 'Columns' }),
    h('div', {}, Object.keys(columns).map((c) => {
      const box = h('input', { type: 'checkbox', checked: chosen.includes(c) });
      box.addEventListener('change', () => {
        chosen = Object.keys(columns).filter((k) => (k === c ? box.checked : chosen.includes(k)));
        localStorage.setItem('rnnd.columns', JSON.stringify(chosen));
        render(lastRuns);
      });
      return h('label', {}, box, ` ${columns[c].title}`);
    })));
  const prev = h('button', { type: 'button', text: '← newer', onclick: () => { offset = Math.max(0, offset - limit); load(); } });
  const next = h('button', { type: 'button', text: 'older →', onclick: () => { offset += limit; load(); } });
  const form = h('form', { class: 'toolbar', role: 'search' }, search, h('button', { type: 'submit', text: 'Filter' }), picker, metricsInput, compare);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    filter = search.value.trim();
    metricColumns = metricsInput.value.split(',').map((m) => m.trim()).filter(Boolean);
    localStorage.setItem('rnnd.metrics', JSON.stringify(metricColumns));
    offset = 0;
    load();
  });
  main.replaceChildren(h('h1', { text: 'Runs' }), form, errors, table, h('div', { class: 'pager' }, prev, next, count));

  let lastRuns = [];
  function render(runs) {
    lastRuns = runs;
    const shown = [...chosen.map((c) => ({ key: c, ...columns[c] })), ...summaryColumns()];
    const head = h('tr', {}, h('th', {}, ''), shown.map((col) => {
      const c = col.key;
      const cls = [col.sort ? 'sortable' : '', col.num ? 'num' : '', sort === col.sort ? 'sorted-asc' : sort === `-${col.sort}` ? 'sorted-desc' : ''].join(' ');
      return h('th', { class: cls, 'data-column': c, text: col.title, onclick: col.sort ? () => { sort = sort === `-${col.sort}` ? col.sort : `-${col.sort}`; offset = 0; load(); } : undefined });
    }));
    const rows = runs.map((r) => {
      const box = h('input', { type: 'checkbox', 'aria-label': `select run ${r.id}`, checked: selected.has(r.id) });
      box.addEventListener('change', () => { box.checked ? selected.add(r.id) : selected.delete(r.id); compare.disabled = selected.size < 1; });
      return h('tr', { 'data-run': r.id }, h('td', {}, box), shown.map((col) => h('td', { class: col.num ? 'num' : '', 'data-column': col.key }, col.cell(r))));
    });
    table.replaceChildren(h('thead', {}, head), h('tbody', {}, rows));
    count.textContent = runs.length ? `runs ${offset + 1}–${offset + runs.length}` : 'no runs';
    prev.disabled = offset === 0;
    next.disabled = runs.length < limit;
  }

  async function load(quiet = false) {
    const query = new URLSearchParams({ sort, limit: String(limit), offset: String(offset) });
    if (filter) query.set('filter', filter);
    if (metricColumns.length) query.set('metrics', metricColumns.join(','));
    history.replaceState(null, '', `/ui/?${new URLSearchParams({ ...(filter ? { filter } : {}), sort, offset: String(offset) })}`);
    try {
      const list = await api(`/v1/runs?${query}`);
      errors.replaceChildren();
      render(list.runs);
    } catch (error) {
      if (!quiet) showError(errors, error);
    }
  }
  await load();
  // Live state badges: the page follows the store while it is visible.
  setInterval(() => { if (!document.hidden) load(true); }, 3000);
}

// ---------------------------------------------------------------------------------------------------------
// Run page

/** `key=value` lines, typed as rnnctl types --set values. */
function assignments(text) {
  const out = {};
  for (const line of text.split('\n').map((l) => l.trim()).filter(Boolean)) {
    const eq = line.indexOf('=');
    if (eq <= 0) throw new APIError(400, { error: `expected key=value, got "${line}"`, field: 'set' });
    const key = line.slice(0, eq).trim(), raw = line.slice(eq + 1).trim();
    out[key] = /^-?\d+$/.test(raw) ? Number(raw) : /^-?(\d+\.?\d*|\.\d+)(e-?\d+)?$/i.test(raw) ? Number(raw)
      : raw === 'true' ? true : raw === 'false' ? false : raw.includes(',') ? raw.split(',').map((s) => s.trim()) : raw;
  }
  return out;
}

function actionForm(title, fields, submitText, onSubmit) {
  const errorsByField = {};
  const inputs = {};
  const general = h('div', { class: 'field-error', role: 'alert' });
  const form = h('form', { class: 'inline', 'data-form': title }, h('strong', { text: title }),
    fields.map((f) => {
      const input = f.type === 'textarea' ? h('textarea', { name: f.name, rows: 3, placeholder: f.placeholder ?? '' })
        : f.type === 'select' ? h('select', { name: f.name }, f.options.map((o) => h('option', { value: o, text: o })))
          : h('input', { name: f.name, type: f.type ?? 'text', value: f.value ?? '', placeholder: f.placeholder ?? '' });
      inputs[f.name] = input;
      errorsByField[f.name] = h('span', { class: 'field-error', 'data-field-error': f.name });
      return h('label', {}, f.label, input, errorsByField[f.name]);
    }),
    h('button', { type: 'submit', class: 'primary', text: submitText }), general);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    Object.values(errorsByField).forEach((n) => { n.textContent = ''; });
    general.textContent = '';
    try {
      await onSubmit(Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, v.value])));
    } catch (error) {
      // An error names the field to blame: next to it when the form has it, else under the form.
      const target = errorsByField[error.field] ?? (error.field && errorsByField.set) ?? general;
      target.textContent = error.field && target !== errorsByField[error.field] ? `${error.field}: ${error.message}` : error.message;
    }
  });
  return form;
}

async function runPage(id) {
  let detail;
  try {
    detail = await api(`/v1/runs/${id}`);
  } catch (error) {
    showError(main, error);
    return;
  }
  const run = detail.run;
  const header = h('div', { class: 'panel', id: 'run-header' });
  const chartsBox = h('div', { class: 'charts', id: 'charts' });
  const actions = h('div', { class: 'toolbar', id: 'actions' });
  const actionError = h('div', { role: 'alert' });
  const renderHeader = (r) => {
    const fraction = r.max_steps > 0 ? Math.min(1, r.step / r.max_steps) : 0;
    const bar = h('span', { class: 'progress' }, h('span', {}));
    bar.firstChild.style.width = `${(fraction * 100).toFixed(1)}%`;
    header.replaceChildren(
      h('div', {}, h('strong', { text: 'step ' }), h('span', { id: 'step', text: progressText(r) }), ' ', r.max_steps > 0 ? bar : '',
        `  epoch ${r.epoch ?? '-'}  ·  train_loss ${num(r.train_loss)}  ·  val_loss ${num(r.val_loss)}  ·  best ${num(r.best_val_loss)}`,
        r.eta_seconds != null ? `  ·  ETA ${duration(r.eta_seconds)}` : ''),
      h('div', { class: 'muted', text: `submitted ${time(r.submitted_at)} by uid ${r.submitted_by ?? '-'} · started ${time(r.started_at)} · finished ${time(r.finished_at)} · workers ${r.workers} · restarts ${r.restarts} · dataset ${r.dataset.slice(0, 12)}` }),
      r.tags.length ? h('div', {}, r.tags.map((t) => h('span', { class: 'tag', text: t }))) : '',
      r.note ? h('div', {}, h('strong', { text: 'note: ' }), r.note) : '',
      r.parent_run_id ? h('div', {}, 'forked from ', h('a', { href: `/ui/runs/${r.parent_run_id}`, text: `run ${r.parent_run_id}` }), ` at step ${r.parent_checkpoint_step}`) : '',
      r.failure ? h('div', { class: 'error', text: `failure: ${r.failure}` }) : '');
    const act = (label, path, allowed) => h('button', { type: 'button', 'data-action': label, disabled: !allowed.includes(r.state), text: label,
      onclick: async () => {
        try { actionError.replaceChildren(); renderState(await api(`/v1/runs/${id}/${path}`, { method: 'POST' })); } catch (error) { showError(actionError, error); }
      } });
    actions.replaceChildren(act('cancel', 'cancel', ['queued', 'running', 'paused', 'interrupted']),
      act('pause', 'pause', ['queued', 'running', 'interrupted']), act('resume', 'resume', ['paused']),
      h('a', { class: 'button', href: `/ui/compare?runs=${id}${r.parent_run_id ? `,${r.parent_run_id}` : ''}`, text: 'compare' }));
  };
  const title = h('h1', {}, h('span', { id: 'run-name', text: `run ${run.id} · ${run.name}` }), h('span', { id: 'run-state' }, badge(run.state)));
  const renderState = (r) => { title.querySelector('#run-state').replaceChildren(badge(r.state)); renderHeader(r); };
  renderHeader(run);

  // Curves: every recorded metric, downsampled by the API to about 1,000 points.
  const charts = new Map();
  const flowPrefix = 'grad_flow_lag_';
  const names = detail.metrics.map((m) => m.name).filter((n) => n !== 'epoch' && !n.startsWith(flowPrefix));
  const flowLags = detail.metrics.map((m) => m.name).filter((n) => n.startsWith(flowPrefix)).map((n) => Number(n.slice(flowPrefix.length))).sort((a, b) => a - b);
  const runTime = await loadTimeMap(id);
  const ensureChart = (name) => {
    if (!charts.has(name)) {
      const chart = new LineChart(chartsBox, name, { timeAxis: runTime !== null });
      chart.setSeries([{ label: `${run.id} ${run.name}`, ...style(0), points: [], time: runTime, start: run.started_at }]);
      charts.set(name, chart);
    }
    return charts.get(name);
  };
  const sortedNames = [...names].sort((a, b) => (a === 'train_loss' ? -1 : b === 'train_loss' ? 1 : a === 'val_loss' ? -1 : b === 'val_loss' ? 1 : a.localeCompare(b)));
  await Promise.all(sortedNames.map(async (name) => {
    const chart = ensureChart(name);
    const series = await api(`/v1/runs/${id}/metrics/${encodeURIComponent(name)}?max_points=1000`);
    chart.series[0].points = series.points.map((p) => [p.step, value(p.value)]);
    chart.root.dataset.points = String(series.points.length);
    chart.draw();
  }));
  if (!charts.size) ensureChart('train_loss');
  const label = `${run.id} ${run.name}`;

  // Gradient flow: how far back the last step's loss gradient reaches (relative norm against lag, log-log),
  // at the first, middle and last validations.
  const flowBox = h('div', { class: 'charts', id: 'gradient-flow' });
  if (flowLags.length) {
    const flow = new LineChart(flowBox, 'gradient flow', { logX: true, logY: true, xName: 'lag' });
    const byStep = new Map();
    await Promise.all(flowLags.map(async (lag) => {
      const series = await api(`/v1/runs/${id}/metrics/${flowPrefix}${lag}`);
      for (const p of series.points) {
        if (!byStep.has(p.step)) byStep.set(p.step, new Map());
        byStep.get(p.step).set(lag, value(p.value));
      }
    }));
    const steps = [...byStep.keys()].sort((a, b) => a - b);
    const chosen = [...new Set([0, Math.floor(steps.length / 3), Math.floor((2 * steps.length) / 3), steps.length - 1].map((i) => steps[i]))];
    flow.setSeries(chosen.map((step, i) => ({ label: `at step ${step}`, ...style(i), points: flowLags.map((lag) => [lag, byStep.get(step).get(lag) ?? NaN]) })));
    flow.root.dataset.points = String(chosen.length * flowLags.length);
  } else {
    flowBox.append(h('p', { class: 'muted', text: 'No gradient-flow records yet: they are written at each validation.' }));
  }

  const configTable = h('table', { id: 'config' }, h('tbody', {}, Object.keys(detail.config).sort().map((k) =>
    h('tr', {}, h('td', { text: k }), h('td', { text: JSON.stringify(detail.config[k]) })))));
  const eventsTable = h('table', { id: 'events' }, h('thead', {}, h('tr', {}, ['at', 'kind', 'step', 'message', 'uid'].map((t) => h('th', { text: t })))),
    h('tbody', {}, detail.events.map((e) => h('tr', {}, h('td', { text: time(e.at) }), h('td', { text: e.kind }), h('td', { text: e.step ?? '' }),
      h('td', { class: 'wrap', text: e.message }), h('td', { text: e.uid ?? '' })))));
  const checkpointsTable = h('table', { id: 'checkpoints' }, h('thead', {}, h('tr', {}, ['step', 'kind', 'val_loss', 'size', 'written', ''].map((t) => h('th', { text: t })))),
    h('tbody', {}, detail.checkpoints.map((c) => h('tr', {}, h('td', { text: c.step }), h('td', { text: c.kind }), h('td', { text: num(c.val_loss) }),
      h('td', { text: `${Math.round(c.size / 1024)} KiB` }), h('td', { text: time(c.created_at) }),
      h('td', {}, h('a', { href: `/v1/runs/${id}/export?checkpoint=${c.step}`, download: `run${id}-step${c.step}.safetensors`, text: 'export' }))))));

  const checkpointChoices = ['latest', 'best', ...detail.checkpoints.map((c) => String(c.step))];
  const fork = actionForm('Fork from a checkpoint', [
    { name: 'checkpoint', label: 'checkpoint', type: 'select', options: checkpointChoices },
    { name: 'set', label: 'changed keys (key=value per line; training keys only)', type: 'textarea', placeholder: 'lr=0.001\nmax_steps=4000' },
    { name: 'name', label: 'name', placeholder: `${run.name}-fork` },
  ], 'Fork', async (v) => {
    const created = await api(`/v1/runs/${id}/fork`, { method: 'POST', body: { checkpoint: v.checkpoint, set: assignments(v.set), ...(v.name ? { name: v.name } : {}) } });
    location.href = `/ui/runs/${created.id}`;
  });
  const rerun = actionForm('Rerun with changes', [
    { name: 'set', label: 'changed keys (any key; key=value per line)', type: 'textarea', placeholder: 'hidden_size=256' },
    { name: 'name', label: 'name', placeholder: `${run.name}-rerun` },
  ], 'Submit', async (v) => {
    const created = await api('/v1/runs', { method: 'POST', body: { dataset: run.dataset, config: { ...detail.config, ...assignments(v.set) }, derived_from: run.id, ...(v.name ? { name: v.name } : {}) } });
    location.href = `/ui/runs/${created.id}`;
  });
  const output = h('div', { id: 'model-output' });
  const task = detail.config.task;
  const model = task === 'lm'
    ? actionForm('Sample text', [
      { name: 'prime', label: 'prime', value: 'The ' }, { name: 'length', label: 'length', type: 'number', value: 200 },
      { name: 'temperature', label: 'temperature', type: 'number', value: 0.8 },
    ], 'Sample', async (v) => {
      const answer = await api(`/v1/runs/${id}/sample`, { method: 'POST', body: { prime: v.prime, length: Number(v.length), temperature: Number(v.temperature) } });
      output.replaceChildren(h('pre', { class: 'sample', text: answer.text }));
    })
    : task === 'regression'
      ? actionForm('Forecast', [{ name: 'steps', label: 'steps', type: 'number', value: 10 }], 'Forecast', async (v) => {
        const answer = await api(`/v1/runs/${id}/forecast`, { method: 'POST', body: { steps: Number(v.steps) } });
        output.replaceChildren(h('table', {}, h('thead', {}, h('tr', {}, h('th', { text: 'step' }), answer.columns.map((c) => h('th', { text: c })))),
          h('tbody', {}, answer.values.map((row, i) => h('tr', {}, h('td', { text: i + 1 }), row.map((x) => h('td', { class: 'num', text: num(x) })))))));
      })
      : null;

  main.replaceChildren(title, header, actions, actionError, h('h2', { text: 'Curves' }), chartsBox,
    h('h2', { text: 'Gradient flow: ‖∂loss_T / ∂h_(T−lag)‖ relative to lag 0' }), flowBox,
    h('div', { class: 'grid2' },
      h('div', {}, h('h2', { text: 'Configuration' }), configTable),
      h('div', {}, h('h2', { text: 'Actions' }), h('div', { class: 'panel' }, fork), h('div', { class: 'panel' }, rerun),
        model ? h('div', { class: 'panel' }, model, output) : '')),
    h('h2', { text: 'Checkpoints' }), checkpointsTable, h('h2', { text: 'Events' }), eventsTable);

  // Live: the run's event stream appends points as they are recorded and updates the state.
  if (!['completed', 'failed', 'cancelled'].includes(run.state)) {
    const stream = new EventSource(`/v1/runs/${id}/stream`);
    let current = { ...run };
    const point = (event) => {
      const e = JSON.parse(event.data);
      if (e.step == null) return;
      current.step = e.step;
      if (e.train_loss != null) { ensureChart('train_loss').append(label, e.step, value(e.train_loss)); current.train_loss = e.train_loss; }
      for (const [name, v] of Object.entries(e.metrics ?? {})) if (name !== 'epoch' && !name.startsWith(flowPrefix)) ensureChart(name).append(label, e.step, value(v));
      if (e.metrics?.val_loss != null) current.val_loss = e.metrics.val_loss;
      const stepText = header.querySelector('#step');
      if (stepText) stepText.textContent = progressText(current);
    };
    stream.addEventListener('step', point);
    stream.addEventListener('validation', point);
    stream.addEventListener('state', async (event) => {
      const e = JSON.parse(event.data);
      if (e.state) { current.state = e.state; renderState(current); }
      if (['completed', 'failed', 'cancelled'].includes(e.state)) {
        stream.close();
        try { renderState((await api(`/v1/runs/${id}`)).run); } catch { /* the header keeps the state it has */ }
      }
    });
    stream.onerror = () => { if (stream.readyState === EventSource.CLOSED) stream.close(); };
  }
}

// ---------------------------------------------------------------------------------------------------------
// Compare page

async function comparePage() {
  const ids = (new URLSearchParams(location.search).get('runs') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (!ids.length) { showError(main, new Error('choose runs on the runs page (compare?runs=1,2)')); return; }
  let comparison, details;
  try {
    [comparison, details] = await Promise.all([api(`/v1/compare?runs=${ids.join(',')}`), Promise.all(ids.map((id) => api(`/v1/runs/${id}`)))]);
  } catch (error) { showError(main, error); return; }
  const runs = comparison.runs;
  const labels = runs.map((r) => `${r.id} ${r.name}`);
  const metricNames = [...new Set(comparison.metrics.flat().map((m) => m.name))].filter((n) => n !== 'epoch').sort();
  const asked = new URLSearchParams(location.search).get('metric');
  let metric = metricNames.includes(asked) ? asked : metricNames.includes('val_loss') ? 'val_loss' : metricNames[0] ?? 'train_loss';
  const select = h('select', { 'aria-label': 'metric' }, metricNames.map((n) => h('option', { value: n, text: n, selected: n === metric })));
  const chartBox = h('div', { id: 'compare-chart' });
  const times = await Promise.all(runs.map((r) => loadTimeMap(r.id)));
  const chart = new LineChart(chartBox, metric, { timeAxis: times.every((t) => t !== null) });
  const parallelBox = h('div', { class: 'panel parallel', id: 'parallel' });
  async function showMetric() {
    chart.title = metric;
    chart.root.dataset.metric = metric;
    chart.root.querySelector('h3').textContent = metric;
    const series = await Promise.all(runs.map((r) => api(`/v1/runs/${r.id}/metrics/${encodeURIComponent(metric)}?max_points=1000`).catch(() => ({ points: [] }))));
    chart.setSeries(series.map((s, i) => ({ label: labels[i], ...style(i), points: s.points.map((p) => [p.step, value(p.value)]), time: times[i], start: runs[i].started_at })));
    chart.root.dataset.points = String(series.reduce((n, s) => n + s.points.length, 0));
    const keys = Object.keys(comparison.differences).filter((k) => !['name', 'seed'].includes(k)).sort();
    const best = comparison.metrics.map((ms) => value(ms.find((m) => m.name === metric)?.best_value));
    drawParallel(parallelBox, keys.map((k) => ({ name: k, values: details.map((d) => d.config[k]) })).concat([{ name: `best ${metric}`, values: best }]), labels);
  }
  select.addEventListener('change', () => { metric = select.value; showMetric(); });

  // Configuration: only what differs, or everything.
  const allKeys = [...new Set(details.flatMap((d) => Object.keys(d.config)))].sort();
  const differing = allKeys.filter((k) => new Set(details.map((d) => JSON.stringify(d.config[k]))).size > 1);
  const onlyDiff = h('input', { type: 'checkbox', checked: true });
  const configTable = h('table', { id: 'config-diff' });
  const renderConfig = () => {
    const keys = onlyDiff.checked ? differing : allKeys;
    configTable.replaceChildren(h('thead', {}, h('tr', {}, h('th', { text: 'key' }), labels.map((l) => h('th', { text: l })))),
      h('tbody', {}, keys.map((k) => h('tr', {}, h('td', { text: k }), details.map((d) => h('td', { text: d.config[k] === undefined ? '-' : JSON.stringify(d.config[k]) }))))));
  };
  onlyDiff.addEventListener('change', renderConfig);
  renderConfig();
  const summary = h('table', { id: 'metric-summary' }, h('thead', {}, h('tr', {}, h('th', { text: 'metric' }), labels.map((l) => h('th', { text: `${l} latest / best` })))),
    h('tbody', {}, metricNames.map((n) => h('tr', {}, h('td', { text: n }), comparison.metrics.map((ms) => {
      const m = ms.find((x) => x.name === n);
      return h('td', { class: 'num', text: m ? `${num(m.latest_value)} / ${num(m.best_value)} (step ${m.best_step})` : '-' });
    })))));
  main.replaceChildren(h('h1', { text: `Compare runs ${ids.join(', ')}` }),
    h('div', { class: 'toolbar' }, h('label', {}, 'metric ', select)), chartBox,
    h('h2', { text: 'Hyperparameters against the metric (parallel coordinates; best value of the metric on the right)' }), parallelBox,
    h('h2', {}, 'Configuration ', h('label', { class: 'muted' }, onlyDiff, ' only what differs')), configTable,
    h('h2', { text: 'Metric summaries' }), summary);
  await showMetric();
}

/**
 * Parallel coordinates: `axes` are [{name, values: one per line}] (numbers on their range, anything else as
 * categories), the metric last by convention; one line per label, in the run palette.
 */
function drawParallel(box, axes, labels) {
  const canvas = h('canvas', { role: 'img', 'aria-label': 'parallel coordinates' });
  box.replaceChildren(canvas, h('div', { class: 'legend' }, labels.map((l, i) => h('span', { style: undefined, text: `${['━', '╍', '┅', '┉'][i % 4]} ${l}`, 'data-colour': palette[i % 10] }))));
  box.querySelectorAll('[data-colour]').forEach((n) => { n.style.color = n.dataset.colour; });
  requestAnimationFrame(() => {
    const ratio = window.devicePixelRatio || 1, width = canvas.clientWidth || 800, height = canvas.clientHeight || 300;
    canvas.width = width * ratio; canvas.height = height * ratio;
    const ctx = canvas.getContext('2d');
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.font = '11px system-ui, sans-serif';
    if (axes.length < 2) { ctx.fillStyle = '#5b6475'; ctx.fillText('the runs share every hyperparameter', 20, 30); }
    const left = 60, right = 60, top = 24, bottom = 24, gap = axes.length > 1 ? (width - left - right) / (axes.length - 1) : 0;
    const scales = axes.map((a) => {
      const nums = a.values.map(value).filter((v) => Number.isFinite(v));
      if (nums.length === a.values.length && nums.length) {
        let lo = Math.min(...nums), hi = Math.max(...nums);
        if (hi === lo) { lo -= 1; hi += 1; }
        return { f: (v) => (value(v) - lo) / (hi - lo), ticks: [[0, num(lo, 3)], [1, num(hi, 3)]] };
      }
      const cats = [...new Set(a.values.map((v) => JSON.stringify(v ?? null)))].sort();
      return { f: (v) => (cats.length > 1 ? cats.indexOf(JSON.stringify(v ?? null)) / (cats.length - 1) : 0.5), ticks: cats.map((c, i) => [cats.length > 1 ? i / (cats.length - 1) : 0.5, c]) };
    });
    const y = (t) => top + (1 - t) * (height - top - bottom);
    axes.forEach((a, i) => {
      const x = left + i * gap;
      ctx.strokeStyle = '#9aa3b2'; ctx.setLineDash([]); ctx.lineWidth = 1;
      ctx.beginPath(); ctx.moveTo(x, y(0)); ctx.lineTo(x, y(1)); ctx.stroke();
      ctx.fillStyle = '#1d2330'; ctx.textAlign = 'center'; ctx.fillText(a.name, x, 14);
      ctx.fillStyle = '#5b6475'; ctx.textAlign = i === axes.length - 1 ? 'left' : 'right';
      for (const [t, text] of scales[i].ticks) ctx.fillText(text, x + (i === axes.length - 1 ? 4 : -4), y(t) + 4);
    });
    labels.forEach((_, r) => {
      const s = style(r);
      ctx.strokeStyle = s.colour; ctx.setLineDash(s.dash); ctx.lineWidth = 2;
      ctx.beginPath();
      axes.forEach((a, i) => { const t = scales[i].f(a.values[r]); const px = left + i * gap, py = y(Number.isFinite(t) ? t : 0); i ? ctx.lineTo(px, py) : ctx.moveTo(px, py); });
      ctx.stroke();
    });
  });
}

// ---------------------------------------------------------------------------------------------------------
// Sweeps

async function sweepsPage() {
  let list;
  try { list = await api('/v1/sweeps'); } catch (error) { showError(main, error); return; }
  main.replaceChildren(h('h1', { text: 'Sweeps' }), list.sweeps.length === 0 ? h('p', { class: 'muted', text: 'No sweeps yet: rnnctl sweep submit …' })
    : h('table', { id: 'sweeps' }, h('thead', {}, h('tr', {}, ['id', 'name', 'state', 'method', 'metric', 'trials', 'steps', 'submitted'].map((t) => h('th', { text: t })))),
      h('tbody', {}, list.sweeps.map((sw) => h('tr', { 'data-sweep': sw.id },
        h('td', {}, h('a', { href: `/ui/sweeps/${sw.id}`, text: sw.id })), h('td', {}, h('a', { href: `/ui/sweeps/${sw.id}`, text: sw.name })),
        h('td', {}, h('span', { class: `badge ${sw.state === 'running' ? 'running' : sw.state}`, text: sw.state })), h('td', { text: sw.method }),
        h('td', { text: `${sw.goal} ${sw.metric}` }), h('td', { class: 'num', text: sw.trials }), h('td', { class: 'num', text: sw.steps }),
        h('td', { text: time(sw.submitted_at) }))))));
}

async function sweepPage(id) {
  let detail, runs;
  try {
    [detail, runs] = await Promise.all([api(`/v1/sweeps/${id}`), api(`/v1/runs?${new URLSearchParams({ filter: `sweep = ${id}`, limit: '10000', sort: 'id' })}`)]);
  } catch (error) { showError(main, error); return; }
  const sw = detail.sweep;
  const assignment = (a) => Object.keys(a).sort().map((k) => `${k}=${JSON.stringify(a[k])}`).join(' ');
  const trials = h('table', { id: 'trials' }, h('thead', {}, h('tr', {}, ['trial', 'run', 'rung', 'state', 'steps', sw.metric, 'assignment'].map((t) => h('th', { text: t })))),
    h('tbody', {}, detail.trials.map((t) => h('tr', { 'data-trial': t.number, class: detail.best?.number === t.number ? 'best' : undefined },
      h('td', { text: t.number }), h('td', {}, t.run_id ? h('a', { href: `/ui/runs/${t.run_id}`, text: t.run_id }) : '-'), h('td', { text: t.rung }),
      h('td', { text: t.state }), h('td', { class: 'num', text: t.steps }), h('td', { class: 'num', text: num(t.value) }), h('td', { text: assignment(t.assignment) })))));
  // Curves: every run of the sweep (a promoted trial is a chain of runs), coloured by trial.
  const trialOf = new Map();
  for (const r of runs.runs) { const m = /-t(\d+)(-r\d+)?$/.exec(r.name); trialOf.set(r.id, m ? Number(m[1]) : 0); }
  const chartBox = h('div', { id: 'sweep-chart' });
  const chart = new LineChart(chartBox, sw.metric);
  const series = await Promise.all(runs.runs.map((r) => api(`/v1/runs/${r.id}/metrics/${encodeURIComponent(sw.metric)}?max_points=1000`).catch(() => ({ points: [] }))));
  chart.setSeries(runs.runs.map((r, i) => ({ label: `trial ${trialOf.get(r.id)} (run ${r.id})`, ...style(trialOf.get(r.id)), points: series[i].points.map((p) => [p.step, value(p.value)]) })));
  chart.root.dataset.points = String(series.reduce((n, s) => n + s.points.length, 0));
  const parallel = h('div', { class: 'panel parallel', id: 'sweep-parallel' });
  const withValue = detail.trials.filter((t) => t.value !== undefined && t.value !== null);
  const keys = [...new Set(detail.trials.flatMap((t) => Object.keys(t.assignment)))].sort();
  main.replaceChildren(
    h('h1', {}, `sweep ${sw.id} · ${sw.name} `, h('span', { class: `badge ${sw.state === 'running' ? 'running' : sw.state}`, text: sw.state })),
    h('div', { class: 'panel' },
      h('div', { text: `${sw.method} · ${sw.goal} ${sw.metric} · seed ${sw.seed} · max_concurrent ${sw.max_concurrent} · ${sw.trials} trials · ${sw.steps} training steps` }),
      h('div', { class: 'muted', text: `space: ${sw.space.join('  ')}` + (sw.asha ? `  · rungs: min_steps ${sw.asha.min_steps}, eta ${sw.asha.eta}, max_steps ${sw.asha.max_steps}` : '') }),
      detail.best ? h('div', {}, h('strong', { text: 'best: ' }), `trial ${detail.best.number} · ${sw.metric} ${num(detail.best.value)} · ${assignment(detail.best.assignment)} · `,
        detail.best.run_id ? h('a', { href: `/ui/runs/${detail.best.run_id}`, text: `run ${detail.best.run_id}` }) : '') : ''),
    h('h2', { text: 'Trials' }), trials, h('h2', { text: `Curves of ${sw.metric}` }), chartBox,
    h('h2', { text: `Hyperparameters against ${sw.metric} (each trial's latest result)` }), parallel,
    h('h2', { text: 'Decisions' }), h('table', { id: 'sweep-events' }, h('tbody', {}, detail.events.map((e) => h('tr', {}, h('td', { text: time(e.at) }), h('td', { text: e.kind }), h('td', { class: 'wrap', text: e.message }))))));
  drawParallel(parallel, keys.map((k) => ({ name: k, values: withValue.map((t) => t.assignment[k]) })).concat([{ name: sw.metric, values: withValue.map((t) => t.value) }]),
    withValue.map((t) => `trial ${t.number}`));
  if (sw.state === 'running') setTimeout(() => sweepPage(id), 3000);
}

// ---------------------------------------------------------------------------------------------------------

const page = document.body.dataset.page;
if (page === 'runs') runsPage();
else if (page === 'run') runPage(document.body.dataset.run);
else if (page === 'compare') comparePage();
else if (page === 'sweeps') sweepsPage();
else if (page === 'sweep') sweepPage(document.body.dataset.run);
