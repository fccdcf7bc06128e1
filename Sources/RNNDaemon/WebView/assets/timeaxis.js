import { api } from './api.js';
import { value } from './dom.js';

/**
 * Step → seconds of training, from a run's `wall_time` series (recorded every step, carried across resumes),
 * by linear interpolation between its points: the chart's time axes.
 */
export function timeMap(points) {
  const pts = points.map((p) => [p.step, value(p.value)]).filter(([, v]) => Number.isFinite(v)).sort((a, b) => a[0] - b[0]);
  if (pts.length < 2) return null;
  return (step) => {
    let lo = 0, hi = pts.length - 1;
    if (step <= pts[0][0]) return pts[0][1];
    if (step >= pts[hi][0]) return pts[hi][1];
    while (hi - lo > 1) { const mid = (lo + hi) >> 1; if (pts[mid][0] <= step) lo = mid; else hi = mid; }
    const [x0, y0] = pts[lo], [x1, y1] = pts[hi];
    return y0 + ((y1 - y0) * (step - x0)) / (x1 - x0);
  };
}

export async function loadTimeMap(runID) {
  try { return timeMap((await api(`/v1/runs/${runID}/metrics/wall_time?max_points=2000`)).points); } catch { return null; }
}
