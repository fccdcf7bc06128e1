import { api, APIError } from './api.js';
import { h, num } from './dom.js';

/** `key=value` lines, typed as rnnctl types --set values. */
export function assignments(text) {
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

export function actionForm(title, fields, submitText, onSubmit) {
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

/** The run page's forms: fork from a checkpoint, rerun with changes, and sample (text) or forecast (series). */
export function runForms(detail, id) {
  const run = detail.run;
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
  return { fork, rerun, model, output };
}
