// A campaign's variants and its A/B test: the texts, the results per variant (from the funnel),
// the sample and, once decided, the decision with every figure behind it (see docs/http-api.md, A/B tests).

import { figures, h, num, pct, time } from './dom.js';

/** An ISO-8601 duration as words: PT3H as 3 h, P2D as 2 days, PT1H30M as 1 h 30 min (else as given). */
export function duration(iso) {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(String(iso || ''));
  if (!m || !(m[1] || m[2] || m[3] || m[4])) {
    return String(iso || '\u2013');
  }
  return [[m[1], ' days'], [m[2], ' h'], [m[3], ' min'], [m[4], ' s']].filter(([n]) => n)
    .map(([n, unit]) => (n === '1' && unit === ' days' ? '1 day' : n + unit)).join(' ');
}

/**
 * @param {object} v the campaign (GET /v1/campaigns/{id}) with variants
 * @param {object|null} f its funnel (GET /v1/campaigns/{id}/funnel), whose variants are the results; null until read
 * @return {Node[]} what the page shows
 */
export function variantsView(v, f) {
  const list = v.variants || [];
  const parts = [figures('The variants', ['Variant', 'Sender', 'Local time', 'Text'],
    list.map(x => [x.name, x.sender || v.sender, x.localTime || '\u2013', x.text]), 'variants-table', true)];
  const perVariant = f && Array.isArray(f.variants) ? f.variants : null;
  if (perVariant) {
    parts.push(figures('Results per variant', ['Variant', 'Given', 'Sent', 'Delivered', 'Clicked', 'Converted',
      'Click rate', 'Conversion of sent'], perVariant.map(x => [x.variant, num(x.given), num(x.steps.sent),
      num(x.steps.delivered), num(x.steps.clicked), num(x.steps.converted), pct(x.rates.clicked),
      pct(x.rates.convertedOfSent)]), 'variant-results'));
  }
  const ex = v.experiment;
  if (v.test) {
    parts.push(h('p', { class: 'muted' }, 'A/B test: a sample of ', pct(v.test.sample), ' by ', v.test.metric,
      ', waiting ', duration(v.test.wait), '; without a significant winner: ', v.test.noWinner, '.'));
  }
  if (ex) {
    parts.push(h('dl', { class: 'facts', id: 'experiment' },
      h('dt', {}, 'Sample drawn'), h('dd', {}, time(ex.sampledAt)),
      h('dt', {}, 'Decision due'), h('dd', {}, time(ex.decideAt)),
      h('dt', {}, 'Held back'), h('dd', {}, num(ex.held)),
      h('dt', {}, 'Sample per variant'), h('dd', {}, Object.entries(ex.sample || {}).map(([n, c]) => n + ' ' + num(c)).join(', '))));
    const d = ex.decision;
    if (ex.decidedAt) {
      parts.push(h('p', { id: 'decision', class: 'decision' },
        ex.send ? 'Sending ' + ex.send + ' to the held recipients' : 'The held recipients get nothing (no winner)',
        ' \u00b7 decided ', ex.decidedBy === 'operator' ? 'by an operator' : 'by the rule', ' at ', time(ex.decidedAt)));
      parts.push(h('p', { id: 'decision-figures-summary' }, !d ? 'The figures could not be read when it was decided.'
        : (d.winner ? 'Significant winner: ' + d.winner : 'No significant winner') + ' (' + d.reason
          + (d.best ? '; best rate: ' + d.best : '') + ', alpha ' + d.alpha + ').'));
      if (d && Array.isArray(d.variants)) {
        parts.push(figures('The figures behind the decision', ['Variant', 'Exposed', 'Successes', 'Rate', 'Interval'],
          d.variants.map(x => [x.variant, num(x.exposed), num(x.successes), pct(x.rate),
            pct(x.low) + ' \u2013 ' + pct(x.high)]), 'decision-figures'));
      }
    } else {
      parts.push(h('p', { id: 'decision', class: 'decision' }, 'Not decided yet.'));
    }
  }
  return parts;
}
