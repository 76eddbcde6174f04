// Settings, read-only (GET /v1/settings): the sender profiles, the frequency-cap rules and the
// quiet-hours policy the running service decides with. Times are shown as configured: each
// recipient's local time, not the operator's.

import { get, Unauthorized } from './api.js';
import { errorBox, figures, h, num, replace, section, zone } from './dom.js';

function list(values) {
  return values && values.length ? values.join(', ') : '\u2013';
}

function said(t) {
  return t ? h('q', {}, t) : h('span', { class: 'muted' }, 'none');
}

function profile(p) {
  const id = p.default ? 'profile-default' : 'sender-' + p.id;
  return h('article', { class: 'card', id, 'aria-labelledby': id + '-title' },
    h('h3', { id: id + '-title' }, p.default ? 'Default profile'
      : [p.brand, ' ', h('span', { class: 'muted id' }, p.id)]),
    p.default ? h('p', { class: 'muted' }, 'A sender without a profile of its own uses this one; {brand} stands for its '
      + 'brand (its id, unless a brand is set here).') : null,
    h('dl', { class: 'facts' },
      h('dt', {}, 'Brand'), h('dd', { 'data-key': 'brand' }, p.brand),
      h('dt', {}, 'Suppression scope'), h('dd', { 'data-key': 'scope' }, p.scope),
      h('dt', {}, 'Reply numbers'), h('dd', { 'data-key': 'numbers' }, list(p.numbers)),
      h('dt', {}, 'Preference categories'), h('dd', { 'data-key': 'categories' }, list(p.categories)),
      h('dt', {}, 'Marketing must start with'), h('dd', { 'data-key': 'prefix' }, said(p.prefix)),
      h('dt', {}, 'Footer'), h('dd', { 'data-key': 'footer' }, said(p.footer)),
      h('dt', {}, 'Flagged words'), h('dd', { 'data-key': 'flaggedWords' }, list(p.flaggedWords),
        p.flaggedWords && p.flaggedWords.length ? ' (' + (p.flaggedPolicy === 'refuse' ? 'refused' : 'warned') + ')' : null),
      h('dt', {}, 'Reply to HELP'), h('dd', { 'data-key': 'help' }, said(p.help)),
      h('dt', {}, 'STOP confirmation'), h('dd', { 'data-key': 'confirmOptOut' }, said(p.confirmOptOut)),
      h('dt', {}, 'STOPALL confirmation'), h('dd', { 'data-key': 'confirmOptOutAll' }, said(p.confirmOptOutAll)),
      h('dt', {}, 'START confirmation'), h('dd', { 'data-key': 'confirmOptIn' }, said(p.confirmOptIn)),
      h('dt', {}, 'A reply that reads like an opt-out'), h('dd', { 'data-key': 'intentAction' },
        p.intentAction === 'review' ? 'held for review' : 'opts out at once')));
}

function rules(caption, rows, id) {
  return h('div', { class: 'scroll' }, figures(caption, ['Category', 'Sending windows', 'Closed days', 'Closed dates'],
    rows.map(r => [r.category, r.exempt ? 'always open (exempt)' : list(r.windows), list(r.closedDays),
      list(r.closedDates)]), id, true));
}

export function settingsPage(main) {
  let stopped = false;
  const aborts = new AbortController();
  const body = h('div', { id: 'settings-body' }, h('p', { class: 'muted' }, 'Asking Herald\u2026'));

  document.title = 'Settings \u00b7 Herald console';
  replace(main, h('h1', {}, 'Settings'),
    h('p', { class: 'muted' }, 'What Herald decides with, as configured when it started (read-only: change the '
      + 'configuration and restart to change them).'),
    body);

  get('/v1/settings', aborts.signal).then(s => {
    if (stopped) {
      return;
    }
    const caps = s.caps || [];
    const q = s.quietHours || {};
    const countries = (q.countries || []).filter(c => (c.categories || []).length > 0);
    replace(body,
      h('p', { class: 'notice', id: 'settings-times' }, 'Times here are as configured: in each recipient\u2019s local '
        + 'time (their zone, or the unknown-zones below), not in yours (' + zone + ').'),
      section('senders', 'Sender profiles', (s.senders || []).map(profile)),
      section('caps', 'Frequency caps',
        caps.length === 0 ? h('p', { class: 'muted' }, 'No cap rules.')
          : h('div', { class: 'scroll' }, figures('All apply together; calendar periods in the recipient\u2019s local time',
            ['Rule', 'At most', 'Per', 'Counting', 'For', 'Then', 'From'],
            caps.map(c => [c.name, num(c.limit), c.rolling ? c.window + ' (rolling)' : c.window, c.scope,
              c.segment ? 'segment ' + c.segment : 'everyone', c.action === 'defer' ? 'deferred' : 'dropped',
              c.source === 'preferences' ? 'the preference page' : 'configuration']), 'caps-rules', true))),
      section('quiet', 'Quiet hours (policy ' + (q.policy || '?') + ')',
        h('p', {}, 'A recipient whose zone is unknown is taken to be in: ', h('span', { id: 'quiet-unknown' },
          list(q.unknownZones))),
        rules('Per category', q.categories || [], 'quiet-categories'),
        countries.length === 0 ? h('p', { class: 'muted' }, 'No country overrides.')
          : countries.map(c => rules('In ' + c.country + ' (where it differs)', c.categories, 'quiet-' + c.country))));
  }).catch(e => {
    if (!stopped && !(e instanceof Unauthorized) && e.name !== 'AbortError') {
      replace(body, errorBox('The settings could not be read: ' + e.message));
    }
  });

  return {
    stop() {
      stopped = true;
      aborts.abort();
    },
  };
}
