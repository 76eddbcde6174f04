// The campaigns list: status, progress and counts, filtered by status and name, kept live by
// polling GET /v1/campaigns (every 2 s while any campaign is scheduled, running or paused, else
// every 10 s). Polling, not one event stream per campaign: a browser keeps at most six connections
// to a server, and the list would use them all. Rows are updated in place, so focus stays put.
// The newest 50 matching campaigns are shown; "Show more" shows 50 more each time.

import { get, Unauthorized } from './api.js';
import { badge, errorBox, h, now, num, replace, text, time } from './dom.js';

const STATUSES = ['scheduled', 'running', 'paused', 'completed', 'cancelled', 'failed', 'damaged'];
const LIVE = ['scheduled', 'running', 'paused'];
const PAGE = 50;
const COLUMNS = [
  ['sent', 'Sent'], ['suppressed', 'Suppressed'], ['deferred', 'Deferred'], ['capped', 'Capped'],
  ['failed', 'Failed'], ['pending', 'Pending'],
];

/** @return how many recipients of a campaign view have a final or waiting outcome */
export function decided(c) {
  const k = c.counts || {};
  return Math.max(0, (c.total || 0) - (k.pending || 0) - (k.inFlight || 0) - (k.held || 0));
}

export function progressBar(c, label) {
  return h('progress', { max: Math.max(1, c.total || 0), value: decided(c), 'aria-label': label });
}

export function campaignsPage(main, session, params) {
  let stopped = false;
  let timer = null;
  const aborts = new AbortController();
  const rows = new Map(); // id -> {tr, cells}
  let limit = PAGE; // how many matching rows are shown

  const status = h('select', { id: 'filter-status', name: 'status' },
    h('option', { value: '' }, 'Any status'),
    STATUSES.map(s => h('option', { value: s }, s)));
  status.value = STATUSES.includes(params.get('status')) ? params.get('status') : '';
  const name = h('input', { id: 'filter-name', name: 'name', type: 'search', autocomplete: 'off' });
  name.value = params.get('name') || '';
  const summary = h('p', { id: 'campaigns-summary', class: 'muted', role: 'status' });
  const updated = h('span', { id: 'campaigns-updated', class: 'muted' });
  const problem = h('div', { id: 'campaigns-problem' });
  const tbody = h('tbody', { id: 'campaign-rows' });
  const more = h('button', { type: 'button', id: 'show-more', class: 'more' });
  more.hidden = true;
  more.addEventListener('click', () => {
    const firstNew = limit;
    limit += PAGE;
    applyFilters();
    // the keyboard goes on from the first row it showed
    const link = [...tbody.children].filter(tr => !tr.hidden)[firstNew];
    if (link) {
      link.querySelector('a').focus();
    }
  });
  const table = h('table', { id: 'campaigns', class: 'rows' },
    h('caption', { class: 'visually-hidden' }, 'Campaigns, newest first'),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, 'Campaign'), h('th', { scope: 'col' }, 'Status'), h('th', { scope: 'col' }, 'Progress'),
      COLUMNS.map(([, label]) => h('th', { scope: 'col', class: 'n' }, label)),
      h('th', { scope: 'col' }, 'Created'))),
    tbody);

  const filters = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter campaigns' },
    h('div', {}, h('label', { for: 'filter-status' }, 'Status'), status),
    h('div', {}, h('label', { for: 'filter-name' }, 'Name contains'), name));
  filters.addEventListener('submit', e => e.preventDefault());
  status.addEventListener('change', applyFilters);
  name.addEventListener('input', applyFilters);

  document.title = 'Campaigns \u00b7 Herald console';
  replace(main, h('div', { class: 'title' }, h('h1', {}, 'Campaigns'), updated), filters, problem, summary,
    h('div', { class: 'scroll' }, table), more);

  function row(c) {
    const cells = {
      name: h('a', { href: '#/campaigns/' + encodeURIComponent(c.id), class: 'campaign-name' }),
      id: h('span', { class: 'muted id' }),
      status: h('span', {}),
      progress: h('span', { class: 'progress-text' }),
      bar: h('span', {}),
      created: h('span', {}),
    };
    const tr = h('tr', { 'data-id': c.id },
      h('th', { scope: 'row', 'data-label': 'Campaign' }, cells.name, h('br'), cells.id),
      h('td', { 'data-label': 'Status' }, cells.status),
      h('td', { 'data-label': 'Progress' }, cells.bar, ' ', cells.progress),
      COLUMNS.map(([key, label]) => {
        cells[key] = h('td', { class: 'n', 'data-label': label, 'data-count': key });
        return cells[key];
      }),
      h('td', { 'data-label': 'Created' }, cells.created));
    return { tr, cells, last: null };
  }

  function update(r, c) {
    text(r.cells.name, c.name || c.id);
    text(r.cells.id, c.id);
    const key = JSON.stringify([c.status, c.counts, c.total]);
    if (r.last === key) {
      return;
    }
    r.last = key;
    r.tr.setAttribute('data-status', c.status);
    replace(r.cells.status, badge(c.status));
    replace(r.cells.bar, progressBar(c, 'Progress of ' + (c.name || c.id)));
    text(r.cells.progress, num(decided(c)) + ' / ' + num(c.total));
    for (const [k] of COLUMNS) {
      text(r.cells[k], num((c.counts || {})[k]));
    }
    replace(r.cells.created, time(c.createdAt));
  }

  function applyFilters(event) {
    if (event) {
      limit = PAGE; // a new filter starts from the newest again
    }
    const s = status.value;
    const n = name.value.trim().toLowerCase();
    let matching = 0;
    for (const tr of tbody.children) { // newest first
      const c = rows.get(tr.getAttribute('data-id')).campaign;
      const match = (s === '' || c.status === s)
        && (n === '' || (c.name || '').toLowerCase().includes(n) || c.id.toLowerCase().includes(n));
      tr.hidden = !match || matching >= limit;
      if (match) {
        matching++;
      }
    }
    const shown = Math.min(matching, limit);
    more.hidden = matching <= limit;
    text(more, 'Show ' + Math.min(PAGE, matching - limit) + ' more (' + shown + ' of ' + matching + ' shown)');
    let said;
    if (rows.size === 0) {
      said = 'No campaigns yet. Create one with POST /v1/campaigns.';
    } else if (matching === rows.size) {
      said = shown === matching ? rows.size + (rows.size === 1 ? ' campaign' : ' campaigns')
        : 'Showing ' + shown + ' of ' + rows.size + ' campaigns';
    } else {
      said = shown === matching ? matching + ' of ' + rows.size + ' campaigns match'
        : 'Showing ' + shown + ' of ' + matching + ' matching (' + rows.size + ' campaigns in all)';
    }
    text(summary, said);
    const q = new URLSearchParams();
    if (s) {
      q.set('status', s);
    }
    if (name.value.trim()) {
      q.set('name', name.value.trim());
    }
    const hash = '#/campaigns' + (q.toString() ? '?' + q.toString() : '');
    if (location.hash !== hash && !stopped) {
      history.replaceState(null, '', hash);
    }
  }

  async function refresh() {
    timer = null;
    if (stopped) {
      return;
    }
    let live = false;
    if (document.hidden) {
      schedule(2000);
      return;
    }
    try {
      const answer = await get('/v1/campaigns', aborts.signal);
      if (stopped) {
        return;
      }
      const list = (answer.campaigns || []).slice()
        .sort((a, b) => String(b.createdAt).localeCompare(String(a.createdAt)) || a.id.localeCompare(b.id));
      const seen = new Set();
      let previous = null;
      for (const c of list) {
        seen.add(c.id);
        let r = rows.get(c.id);
        if (!r) {
          r = row(c);
          rows.set(c.id, r);
        }
        r.campaign = c;
        update(r, c);
        // newest first: put the row after the one before it (a no-op when it is already there)
        const want = previous ? previous.nextSibling : tbody.firstChild;
        if (want !== r.tr) {
          tbody.insertBefore(r.tr, want);
        }
        previous = r.tr;
        live = live || LIVE.includes(c.status);
      }
      for (const [id, r] of rows) {
        if (!seen.has(id)) {
          r.tr.remove();
          rows.delete(id);
        }
      }
      applyFilters();
      replace(problem);
      replace(updated, 'Updated ', now());
      schedule(live ? 2000 : 10000);
    } catch (e) {
      if (stopped || e instanceof Unauthorized || e.name === 'AbortError') {
        return;
      }
      replace(problem, errorBox('The list could not be read: ' + e.message + ' (trying again)'));
      schedule(5000);
    }
  }

  function schedule(ms) {
    if (!stopped) {
      timer = window.setTimeout(refresh, ms);
    }
  }

  refresh();
  return {
    stop() {
      stopped = true;
      aborts.abort();
      if (timer !== null) {
        window.clearTimeout(timer);
      }
    },
  };
}
