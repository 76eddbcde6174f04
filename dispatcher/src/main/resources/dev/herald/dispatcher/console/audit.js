// The audit log (admin keys only): every change a key made through the API, newest first, from
// GET /v1/audit, filtered by key and period. Paths arrive with phone numbers masked; a campaign's
// or journey's path links to its page. Times in the operator's zone.

import { ApiError, get, Unauthorized } from './api.js';
import { errorBox, field, figures, h, num, replace, text, time } from './dom.js';

const PAGE = 100;
const HEAD = ['Time', 'Key', 'Role', 'Change', 'Answer'];

/** The page of a path's campaign or journey, if it names one. */
function linkOf(path) {
  const c = /^\/v1\/campaigns\/(c-[^/]+)/.exec(path);
  if (c) {
    return '#/campaigns/' + c[1];
  }
  const j = /^\/v1\/journeys\/(j-[^/]+)/.exec(path);
  return j ? '#/journeys/' + j[1] : null;
}

export function auditPage(main) {
  let stopped = false;
  let asked = 0;
  let limit = PAGE;
  const aborts = new AbortController();

  const key = h('select', { id: 'audit-key', name: 'key' }, h('option', { value: '' }, 'Any key'));
  const from = h('input', { id: 'audit-from', name: 'from', type: 'date' });
  const to = h('input', { id: 'audit-to', name: 'to', type: 'date' });
  const body = h('div', { id: 'audit-body', 'aria-live': 'polite' });
  const more = h('button', { type: 'button', id: 'audit-more', class: 'more' }, 'Show older');
  more.hidden = true;
  const form = h('form', { id: 'audit-filters', class: 'filters', role: 'search', 'aria-label': 'Filter the audit log' },
    field('audit-key', 'Key', key), field('audit-from', 'From (UTC day)', from), field('audit-to', 'Before (UTC day)', to));

  document.title = 'Audit \u00b7 Herald console';
  replace(main, h('h1', {}, 'Audit'),
    h('p', { class: 'muted' }, 'Every change a key made through the API: who, what, when and how Herald answered. '
      + 'Phone numbers are masked; a key\u2019s secret is never recorded.'),
    form, body, more);

  async function load() {
    const n = ++asked;
    for (const el of form.querySelectorAll('.error')) {
      el.textContent = '';
    }
    const q = new URLSearchParams({ limit: String(limit) });
    if (key.value) {
      q.set('key', key.value);
    }
    if (from.value) {
      q.set('from', from.value);
    }
    if (to.value) {
      q.set('to', to.value);
    }
    try {
      const page = await get('/v1/audit?' + q.toString(), aborts.signal);
      if (stopped || n !== asked) {
        return;
      }
      const entries = page.entries || [];
      replace(body,
        h('p', { id: 'audit-summary', class: 'muted' }, num(entries.length) + (entries.length === 1 ? ' change' : ' changes')
          + (page.more ? ' shown, older ones too' : '')
          + (page.damaged ? ' \u00b7 ' + num(page.damaged) + ' line(s) torn by a crash were skipped' : '')),
        entries.length === 0 ? null : h('div', { class: 'scroll' }, figures('Changes, newest first', HEAD,
          entries.map(e => {
            const link = linkOf(e.path);
            const what = e.method + ' ' + e.path;
            return [time(e.at), h('span', { class: 'id' }, e.keyId), e.role,
              link ? h('a', { href: link }, what) : h('span', { class: 'id' }, what),
              h('span', { class: e.status >= 400 ? 'error' : null, 'data-status': e.status }, String(e.status))];
          }), 'audit-table', true)));
      more.hidden = !page.more;
    } catch (e) {
      if (stopped || n !== asked || e instanceof Unauthorized || e.name === 'AbortError') {
        return;
      }
      const el = e instanceof ApiError && e.field ? document.getElementById('audit-' + e.field + '-error') : null;
      if (el) {
        text(el, e.message);
      } else {
        replace(body, errorBox(e));
      }
    }
  }

  form.addEventListener('submit', event => event.preventDefault());
  for (const c of [key, from, to]) {
    c.addEventListener('change', () => {
      limit = PAGE;
      load();
    });
  }
  more.addEventListener('click', () => {
    limit += PAGE;
    load();
  });

  get('/v1/keys', aborts.signal).then(answer => {
    if (stopped) {
      return;
    }
    const keys = Array.isArray(answer) ? answer : answer.keys || [];
    for (const k of keys) {
      key.appendChild(h('option', { value: k.id }, k.id + ' \u00b7 ' + k.role + (k.note ? ' \u00b7 ' + k.note : '')
        + (k.revokedAt ? ' (revoked)' : '')));
    }
  }).catch(() => { /* the filter is a convenience: the log itself still shows */ });
  load();

  return {
    stop() {
      stopped = true;
      aborts.abort();
    },
  };
}
