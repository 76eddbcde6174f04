// A distribution as a horizontal bar chart in hand-written SVG (no library), with the same figures
// in a table beside it: the funnel's delay buckets (time from send to receipt, from receipt to
// click) and a campaign's opt-outs by reason and by hours since the send. With {cumulative}, each
// bar's label also says the share reached by the end of its bucket: read down, it is the curve of
// how fast recipients got (or clicked) the message.

import { figures, h, num, pct, s } from './dom.js';

const WIDTH = 360;
const ROW = 40;

/**
 * @param {string} id the chart's id (its table is id + '-table')
 * @param {string} title what the chart shows (its accessible name and the table's caption)
 * @param {Array<[string, number]>} entries label and count, in the order shown
 * @param {object} [options] {cumulative: also the running share; unit: the counted things' name}
 * @return {Node[]} the chart and its table; a line saying so when nothing was counted
 */
export function barsView(id, title, entries, options = {}) {
  const total = entries.reduce((sum, [, n]) => sum + (n || 0), 0);
  if (total === 0) {
    return [h('p', { class: 'muted', id: id + '-empty' }, title + ': none counted yet.')];
  }
  const top = Math.max(1, ...entries.map(([, n]) => n || 0));
  let running = 0;
  const shown = entries.map(([label, n]) => {
    running += n || 0;
    return { label, n: n || 0, share: (n || 0) / total, reached: running / total };
  });
  const value = e => num(e.n) + ' \u00b7 ' + pct(e.share) + (options.cumulative ? ' \u00b7 ' + pct(e.reached) + ' by then' : '');
  const rows = shown.map((e, i) => {
    const y = i * ROW;
    const w = e.n > 0 ? Math.max(2, Math.round(WIDTH * e.n / top)) : 0;
    return s('g', { class: 'step' },
      s('text', { x: 0, y: y + 14, class: 'label' }, e.label),
      s('text', { x: WIDTH, y: y + 14, class: 'value', 'text-anchor': 'end' }, value(e)),
      s('rect', { x: 0, y: y + 20, width: WIDTH, height: 14, class: 'track', rx: 3 }),
      s('rect', { x: 0, y: y + 20, width: w, height: 14, class: 'bar', rx: 3, 'data-count': e.n }));
  });
  const chart = s('svg', {
    id, class: 'chart', viewBox: '0 0 ' + WIDTH + ' ' + shown.length * ROW, role: 'img',
    'aria-labelledby': id + '-title ' + id + '-desc', preserveAspectRatio: 'xMinYMin meet',
  },
  s('title', { id: id + '-title' }, title),
  s('desc', { id: id + '-desc' }, shown.map(e => e.label + ' ' + value(e)).join(', ')),
  rows);
  const head = [options.by || 'Bucket', options.unit || 'Recipients', 'Share'];
  if (options.cumulative) {
    head.push('Reached by then');
  }
  return [chart, figures(title + ' (' + num(total) + ' in all)', head,
    shown.map(e => [e.label, num(e.n), pct(e.share)].concat(options.cumulative ? [pct(e.reached)] : [])), id + '-table')];
}

/** The funnel's delay bucket labels as words ("<10s" as "under 10 s"). */
export function delayLabel(bucket) {
  const words = {
    '<10s': 'under 10 s', '10s-1m': '10 s \u2013 1 min', '1m-5m': '1 \u2013 5 min', '5m-30m': '5 \u2013 30 min',
    '30m-1h': '30 min \u2013 1 h', '1h-6h': '1 \u2013 6 h', '6h-24h': '6 \u2013 24 h', '1d-3d': '1 \u2013 3 days', '>=3d': '3 days or more',
  };
  return words[bucket] || bucket;
}
