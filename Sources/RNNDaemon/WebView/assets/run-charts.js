import { api } from './api.js';
import { h, value } from './dom.js';
import { LineChart, style } from './chart.js';
import { loadTimeMap } from './timeaxis.js';

/** Metrics whose names start with this are the gradient-flow profile, drawn apart from the curves. */
export const flowPrefix = 'grad_flow_lag_';

/**
 * The run's curves — every recorded metric, downsampled by the API to about 1,000 points; `ensureChart(name)`
 * adds one when a new metric arrives live — and its gradient flow.
 */
export async function runCharts(detail, id) {
  const run = detail.run;
  const chartsBox = h('div', { class: 'charts', id: 'charts' });
  const charts = new Map();
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
  return { chartsBox, flowBox: await gradientFlow(id, flowLags), ensureChart, label };
}

/**
 * How far back the last step's loss gradient reaches (relative norm against lag, log-log), at the first,
 * middle and last validations.
 */
async function gradientFlow(id, flowLags) {
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
  return flowBox;
}
