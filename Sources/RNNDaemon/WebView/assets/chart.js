import { h, value, num, pad, time, duration, download } from './dom.js';

// Ten colours (Tableau 10) and ten dash patterns: ten runs before a style repeats, and runs stay apart
// without colour vision.
export const palette = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf'];
export const dashes = [[], [8, 4], [2, 3], [10, 3, 2, 3], [4, 4], [12, 4, 4, 4], [1, 5], [6, 2, 2, 2, 2, 2], [14, 6], [3, 6]];
export const style = (i) => ({ colour: palette[i % palette.length], dash: dashes[i % dashes.length] });

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
