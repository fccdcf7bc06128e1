import { api } from './api.js';
import { main, h, value, num, time, badge, showError } from './dom.js';
import { LineChart, style } from './chart.js';
import { drawParallel } from './parallel.js';

export async function sweepsPage() {
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

export async function sweepPage(id) {
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
