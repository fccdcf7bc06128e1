import { api } from './api.js';
import { h, num, time, duration, badge, progressText, showError } from './dom.js';

/**
 * The run's title, header (progress, losses, lineage, failure) and action buttons. Which actions a run allows
 * is the API's word (`run.actions`, from the state machine in Swift), never decided here.
 * `render(run)` redraws them for a run as the API returns it.
 */
export function runHeader(run, id) {
  const title = h('h1', {}, h('span', { id: 'run-name', text: `run ${run.id} · ${run.name}` }), h('span', { id: 'run-state' }, badge(run.state)));
  const header = h('div', { class: 'panel', id: 'run-header' });
  const actions = h('div', { class: 'toolbar', id: 'actions' });
  const actionError = h('div', { role: 'alert' });
  const render = (r) => {
    title.querySelector('#run-state').replaceChildren(badge(r.state));
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
    const act = (action) => h('button', { type: 'button', 'data-action': action, disabled: !r.actions.includes(action), text: action,
      onclick: async () => {
        try { actionError.replaceChildren(); render(await api(`/v1/runs/${id}/${action}`, { method: 'POST' })); } catch (error) { showError(actionError, error); }
      } });
    actions.replaceChildren(act('cancel'), act('pause'), act('resume'),
      h('a', { class: 'button', href: `/ui/compare?runs=${id}${r.parent_run_id ? `,${r.parent_run_id}` : ''}`, text: 'compare' }));
  };
  render(run);
  return { title, header, actions, actionError, render };
}
