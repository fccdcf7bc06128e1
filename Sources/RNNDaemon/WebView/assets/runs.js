import { api } from './api.js';
import { main, h, value, num, time, duration, badge, progressText, showError } from './dom.js';

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

export async function runsPage() {
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
