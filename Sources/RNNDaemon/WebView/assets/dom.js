// DOM and formatting helpers. Every value from the store is inserted as text (textContent, never
// innerHTML); the Content-Security-Policy forbids inline scripts and eval.

/** The page's content area. */
export const main = document.getElementById('main');

/** An element: props are attributes (`class`, `href`, …), `text`, or `on…` handlers; children are nodes or text. */
export function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'text') node.textContent = String(value);
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** A number from the wire: non-finite values arrive as "nan", "inf", "-inf". */
export const value = (v) => (typeof v === 'number' ? v : v === 'inf' ? Infinity : v === '-inf' ? -Infinity : v == null ? null : NaN);

export function num(v, digits = 4) {
  v = value(v);
  if (v === null || v === undefined) return '-';
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v) && Math.abs(v) < 1e6) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e6) ? v.toExponential(2) : v.toFixed(digits);
}

export const pad = (n) => String(n).padStart(2, '0');
/** Local time as rnnctl prints it. */
export function time(unix) {
  if (unix == null) return '-';
  const d = new Date(unix * 1000);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

export function duration(seconds) {
  if (seconds == null || !Number.isFinite(seconds)) return '-';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${pad(s % 60)}s`;
  return `${Math.floor(s / 3600)}h${pad(Math.floor((s % 3600) / 60))}m`;
}

export const badge = (state) => h('span', { class: `badge ${state}`, 'data-state': state, text: state });
export const progressText = (run) => (run.max_steps > 0 ? `${run.step}/${run.max_steps}` : String(run.step));

export function download(name, blob) {
  const a = h('a', { href: URL.createObjectURL(blob), download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

export function showError(where, error) {
  where.replaceChildren(h('div', { class: 'error', role: 'alert', text: error.message }));
}
