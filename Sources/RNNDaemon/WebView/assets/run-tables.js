import { h, num, time } from './dom.js';

/** The run's configuration, events and checkpoints (each with an export link), as tables. */
export function runTables(detail, id) {
  const configTable = h('table', { id: 'config' }, h('tbody', {}, Object.keys(detail.config).sort().map((k) =>
    h('tr', {}, h('td', { text: k }), h('td', { text: JSON.stringify(detail.config[k]) })))));
  const eventsTable = h('table', { id: 'events' }, h('thead', {}, h('tr', {}, ['at', 'kind', 'step', 'message', 'uid'].map((t) => h('th', { text: t })))),
    h('tbody', {}, detail.events.map((e) => h('tr', {}, h('td', { text: time(e.at) }), h('td', { text: e.kind }), h('td', { text: e.step ?? '' }),
      h('td', { class: 'wrap', text: e.message }), h('td', { text: e.uid ?? '' })))));
  const checkpointsTable = h('table', { id: 'checkpoints' }, h('thead', {}, h('tr', {}, ['step', 'kind', 'val_loss', 'size', 'written', ''].map((t) => h('th', { text: t })))),
    h('tbody', {}, detail.checkpoints.map((c) => h('tr', {}, h('td', { text: c.step }), h('td', { text: c.kind }), h('td', { text: num(c.val_loss) }),
      h('td', { text: `${Math.round(c.size / 1024)} KiB` }), h('td', { text: time(c.created_at) }),
      h('td', {}, h('a', { href: `/v1/runs/${id}/export?checkpoint=${c.step}`, download: `run${id}-step${c.step}.safetensors`, text: 'export' }))))));
  return { configTable, eventsTable, checkpointsTable };
}
