import { api } from './api.js';
import { main, h, value, progressText, showError } from './dom.js';
import { runHeader } from './run-header.js';
import { runCharts, flowPrefix } from './run-charts.js';
import { runTables } from './run-tables.js';
import { runForms } from './run-forms.js';

/** A run: its header and actions, curves, gradient flow, configuration, forms, checkpoints and events, kept live. */
export async function runPage(id) {
  let detail;
  try {
    detail = await api(`/v1/runs/${id}`);
  } catch (error) {
    showError(main, error);
    return;
  }
  const run = detail.run;
  const { title, header, actions, actionError, render } = runHeader(run, id);
  const { chartsBox, flowBox, ensureChart, label } = await runCharts(detail, id);
  const { configTable, eventsTable, checkpointsTable } = runTables(detail, id);
  const { fork, rerun, model, output } = runForms(detail, id);

  main.replaceChildren(title, header, actions, actionError, h('h2', { text: 'Curves' }), chartsBox,
    h('h2', { text: 'Gradient flow: ‖∂loss_T / ∂h_(T−lag)‖ relative to lag 0' }), flowBox,
    h('div', { class: 'grid2' },
      h('div', {}, h('h2', { text: 'Configuration' }), configTable),
      h('div', {}, h('h2', { text: 'Actions' }), h('div', { class: 'panel' }, fork), h('div', { class: 'panel' }, rerun),
        model ? h('div', { class: 'panel' }, model, output) : '')),
    h('h2', { text: 'Checkpoints' }), checkpointsTable, h('h2', { text: 'Events' }), eventsTable);
  followLive(id, run, { header, ensureChart, label, render });
}

/**
 * The run's event stream appends points as they are recorded; a state change reloads the run, so that its
 * state and the actions it allows are the API's. The stream ends with the run.
 */
function followLive(id, run, { header, ensureChart, label, render }) {
  const stream = new EventSource(`/v1/runs/${id}/stream`);
  const current = { ...run };
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
  stream.addEventListener('state', async () => {
    try {
      const fresh = (await api(`/v1/runs/${id}`)).run;
      Object.assign(current, fresh);
      render(fresh);
    } catch { /* the header keeps the state it has */ }
  });
  // The server ends the stream when the run has ended; do not reconnect then.
  stream.onerror = () => stream.close();
}
