import { api } from './api.js';
import { main, h, value, num, time, showError } from './dom.js';
import { loadTimeMap } from './timeaxis.js';
import { LineChart, style } from './chart.js';
import { drawParallel } from './parallel.js';

export async function comparePage() {
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
