import { h, value, num } from './dom.js';
import { palette, style } from './chart.js';

/**
 * Parallel coordinates: `axes` are [{name, values: one per line}] (numbers on their range, anything else as
 * categories), the metric last by convention; one line per label, in the run palette.
 */
export function drawParallel(box, axes, labels) {
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
