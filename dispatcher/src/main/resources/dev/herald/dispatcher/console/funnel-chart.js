// The funnel as a horizontal bar chart in hand-written SVG (no library): one bar per step, its
// length the step's count over the campaign's sent, its label the count and the step's rate.
// The chart is an image with a text description; the table beside it carries the same numbers.

import { figures, h, num, pct, s } from './dom.js';

/** The funnel's steps in order: [key in steps, label, key in rates (null: none), what the rate is of]. */
export const STEPS = [
  ['sent', 'Sent', null, null],
  ['delivered', 'Delivered', 'delivered', 'of sent'],
  ['clicked', 'Clicked (people)', 'clicked', null],
  ['converted', 'Converted', 'converted', 'of clicked'],
  ['optedOut', 'Opted out', 'optedOut', 'of sent'],
];

const WIDTH = 360;
const ROW = 46;

/**
 * @param {object} funnel GET /v1/campaigns/{id}/funnel
 * @param {string} title the chart's accessible name
 * @return {SVGSVGElement}
 */
export function funnelChart(funnel, title) {
  const steps = funnel.steps || {};
  const rates = funnel.rates || {};
  const top = Math.max(1, steps.sent || 0);
  const height = STEPS.length * ROW;
  const description = STEPS.map(([key, label, rate]) => label + ' ' + num(steps[key])
    + (rate ? ' (' + pct(rates[rate]) + ')' : '')).join(', ');
  // each step: its name and figures on a line, its bar under it (readable at phone width too)
  const rows = STEPS.map(([key, label, rate], i) => {
    const y = i * ROW;
    const n = steps[key] || 0;
    const w = n > 0 ? Math.max(2, Math.round(WIDTH * n / top)) : 0;
    const value = num(steps[key]) + (rate ? ' \u00b7 ' + pct(rates[rate]) : '');
    return s('g', { class: 'step step-' + key },
      s('text', { x: 0, y: y + 15, class: 'label' }, label),
      s('text', { x: WIDTH, y: y + 15, class: 'value', 'text-anchor': 'end' }, value),
      s('rect', { x: 0, y: y + 22, width: WIDTH, height: 16, class: 'track', rx: 3 }),
      s('rect', { x: 0, y: y + 22, width: w, height: 16, class: 'bar bar-' + key, rx: 3, 'data-count': n }));
  });
  return s('svg', {
    id: 'funnel-chart', class: 'chart', viewBox: '0 0 ' + WIDTH + ' ' + height, role: 'img',
    'aria-labelledby': 'funnel-chart-title funnel-chart-desc', preserveAspectRatio: 'xMinYMin meet',
  },
  s('title', { id: 'funnel-chart-title' }, title),
  s('desc', { id: 'funnel-chart-desc' }, description),
  rows);
}

/**
 * @param {object} funnel GET /v1/campaigns/{id}/funnel
 * @param {string} title the chart's accessible name
 * @return {Node[]} the chart, the same figures as a table, and what they leave out
 */
export function funnelView(funnel, title) {
  const steps = funnel.steps || {};
  const rates = funnel.rates || {};
  const rows = STEPS.map(([key, label, rate, of]) => [label, num(steps[key]),
    rate ? pct(rates[rate]) + ' ' + (of || (rates.clickedBase ? 'of ' + rates.clickedBase : '')) : '\u2013']);
  return [
    funnelChart(funnel, title),
    figures('Funnel steps and rates', ['Step', 'Recipients', 'Rate'], rows, 'funnel-table'),
    steps.noReceipt > 0 ? h('p', { class: 'muted', id: 'funnel-no-receipt' }, num(steps.noReceipt),
      ' of the sent have no delivery receipt (not yet, or the connector sends none).') : null,
    funnel.tracked === false
      ? h('p', { class: 'muted' }, 'Links are not tracked in this campaign: no clicks are counted.') : null,
  ];
}
