// A journey's flow of the last days (the report's `flow`): entries per day as SVG bars (no library),
// and every figure — entered, arrivals at each step, exits for each reason — in a table beside it.
// The chart is an image with a text description; the table is what a screen reader reads.

import { h, num, s } from './dom.js';

const WIDTH = 360;
const HEIGHT = 96;
const LABELS = 18; // room under the bars for the first and last day
const days = new Intl.DateTimeFormat(undefined, { weekday: 'short', day: 'numeric', month: 'short', timeZone: 'UTC' });

/** A <time> of a calendar day ("2026-12-01"), written in the operator's language. */
export function day(iso) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(iso));
  if (!m) {
    return h('span', {}, String(iso));
  }
  return h('time', { datetime: iso }, days.format(new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]))));
}

function label(iso) {
  return day(iso).textContent;
}

/**
 * @param {object} flow the report's flow: {zone, days, steps, reasons, rows: [{day, entered, arrived, exited}]}
 * @param {string} title the chart's accessible name
 * @return {SVGSVGElement} a bar per day, its height the day's entries
 */
export function flowChart(flow, title) {
  const rows = flow.rows || [];
  const top = Math.max(1, ...rows.map(r => r.entered || 0));
  const slot = WIDTH / Math.max(1, rows.length);
  const gap = slot > 6 ? 2 : 0;
  const total = rows.reduce((sum, r) => sum + (r.entered || 0), 0);
  const busiest = rows.reduce((best, r) => (!best || (r.entered || 0) > (best.entered || 0) ? r : best), null);
  const description = rows.length === 0 ? 'No days.'
    : num(total) + ' entered from ' + label(rows[0].day) + ' to ' + label(rows[rows.length - 1].day)
      + (busiest && busiest.entered > 0 ? '; the most, ' + num(busiest.entered) + ', on ' + label(busiest.day) : '') + '.';
  const bars = rows.map((r, i) => {
    const n = r.entered || 0;
    const bh = n > 0 ? Math.max(2, Math.round(HEIGHT * n / top)) : 0;
    return s('rect', {
      x: (i * slot + gap / 2).toFixed(2), y: HEIGHT - bh, width: Math.max(1, slot - gap).toFixed(2), height: bh,
      class: 'bar bar-entered', 'data-day': r.day, 'data-count': n, rx: 2,
    }, s('title', {}, label(r.day) + ': ' + num(n) + ' entered'));
  });
  return s('svg', {
    id: 'flow-chart', class: 'chart', viewBox: '0 0 ' + WIDTH + ' ' + (HEIGHT + LABELS), role: 'img',
    'aria-labelledby': 'flow-chart-title flow-chart-desc', preserveAspectRatio: 'xMinYMin meet',
  },
  s('title', { id: 'flow-chart-title' }, title),
  s('desc', { id: 'flow-chart-desc' }, description),
  s('rect', { x: 0, y: 0, width: WIDTH, height: HEIGHT, class: 'track' }),
  bars,
  rows.length > 0 ? s('text', { x: 0, y: HEIGHT + 14, class: 'value' }, label(rows[0].day)) : null,
  rows.length > 1 ? s('text', { x: WIDTH, y: HEIGHT + 14, class: 'value', 'text-anchor': 'end' },
    label(rows[rows.length - 1].day)) : null);
}

/**
 * @param {object} flow the report's flow
 * @param {string} title the chart's accessible name
 * @return {Node[]} the chart (oldest day on the left) and the table of every figure, a day a row, newest first
 */
export function flowView(flow, title) {
  const rows = flow.rows || [];
  const steps = flow.steps || [];
  const reasons = flow.reasons || [];
  const n = i => h('td', { class: 'n' }, num(i));
  return [
    flowChart(flow, title),
    h('div', { class: 'scroll' }, h('table', { id: 'flow-table', class: 'figures' },
      h('caption', {}, 'Per day (' + flow.zone + '), newest first: entered, arrived at each step, ended for each reason'),
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, 'Day'), h('th', { scope: 'col', class: 'n' }, 'Entered'),
        steps.map(id => h('th', { scope: 'col', class: 'n', 'data-step': id }, 'At ', h('span', { class: 'id' }, id))),
        reasons.map(r => h('th', { scope: 'col', class: 'n', 'data-reason': r }, 'Ended: ', r)))),
      h('tbody', {}, rows.slice().reverse().map(r => h('tr', { 'data-day': r.day },
        h('th', { scope: 'row' }, day(r.day)), n(r.entered),
        steps.map(id => n((r.arrived || {})[id])),
        reasons.map(x => n((r.exited || {})[x]))))))),
  ];
}
