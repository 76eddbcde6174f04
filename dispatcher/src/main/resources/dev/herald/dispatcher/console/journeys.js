// The journeys list: status, version, how many entered and how many wait now, kept live by polling
// GET /v1/journeys every 5 s (its entered and waiting come from the journey engine; without it the
// list has names and statuses only). Rows are updated in place, so focus stays put.

import { get, Unauthorized } from './api.js';
import { badge, errorBox, h, now, num, replace, text, time } from './dom.js';

const EVERY_MS = 5000;

export function journeysPage(main, session) {
  let stopped = false;
  let timer = null;
  const aborts = new AbortController();
  const rows = new Map(); // id -> {tr, cells, last}

  const summary = h('p', { id: 'journeys-summary', class: 'muted', role: 'status' });
  const updated = h('span', { id: 'journeys-updated', class: 'muted' });
  const problem = h('div', { id: 'journeys-problem' });
  const tbody = h('tbody', { id: 'journey-rows' });
  const table = h('table', { id: 'journeys', class: 'rows' },
    h('caption', { class: 'visually-hidden' }, 'Journeys, oldest first'),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col' }, 'Journey'), h('th', { scope: 'col' }, 'Status'), h('th', { scope: 'col', class: 'n' }, 'Version'),
      h('th', { scope: 'col', class: 'n' }, 'Entered'), h('th', { scope: 'col', class: 'n' }, 'Waiting now'),
      h('th', { scope: 'col' }, 'Changed'))),
    tbody);

  document.title = 'Journeys \u00b7 Herald console';
  replace(main, h('div', { class: 'title' }, h('h1', {}, 'Journeys'), updated),
    h('p', { class: 'muted' }, 'Drip sequences: who entered, and how many wait in each now.'),
    problem, summary, h('div', { class: 'scroll' }, table));

  function row(j) {
    const cells = {
      name: h('a', { href: '#/journeys/' + encodeURIComponent(j.id), class: 'journey-name' }),
      id: h('span', { class: 'muted id' }),
      status: h('span', {}),
      version: h('td', { class: 'n', 'data-label': 'Version', 'data-count': 'version' }),
      entered: h('td', { class: 'n', 'data-label': 'Entered', 'data-count': 'entered' }),
      waiting: h('td', { class: 'n', 'data-label': 'Waiting now', 'data-count': 'waiting' }),
      updated: h('td', { 'data-label': 'Changed' }),
    };
    const tr = h('tr', { 'data-id': j.id },
      h('th', { scope: 'row', 'data-label': 'Journey' }, cells.name, h('br'), cells.id),
      h('td', { 'data-label': 'Status' }, cells.status),
      cells.version, cells.entered, cells.waiting, cells.updated);
    return { tr, cells, last: null };
  }

  function update(r, j) {
    const key = JSON.stringify([j.name, j.status, j.version, j.entered, j.waiting, j.updatedAt]);
    if (r.last === key) {
      return;
    }
    r.last = key;
    text(r.cells.name, j.name || j.id);
    text(r.cells.id, j.id);
    r.tr.setAttribute('data-status', j.status);
    replace(r.cells.status, badge(j.status));
    text(r.cells.version, num(j.version));
    text(r.cells.entered, num(j.entered));
    text(r.cells.waiting, num(j.waiting));
    replace(r.cells.updated, time(j.updatedAt));
  }

  async function refresh() {
    timer = null;
    if (stopped) {
      return;
    }
    if (document.hidden) {
      schedule(EVERY_MS);
      return;
    }
    try {
      const answer = await get('/v1/journeys', aborts.signal);
      if (stopped) {
        return;
      }
      const list = answer.journeys || [];
      const seen = new Set();
      let previous = null;
      for (const j of list) {
        seen.add(j.id);
        let r = rows.get(j.id);
        if (!r) {
          r = row(j);
          rows.set(j.id, r);
        }
        update(r, j);
        const want = previous ? previous.nextSibling : tbody.firstChild;
        if (want !== r.tr) {
          tbody.insertBefore(r.tr, want);
        }
        previous = r.tr;
      }
      for (const [id, r] of rows) {
        if (!seen.has(id)) {
          r.tr.remove();
          rows.delete(id);
        }
      }
      const waiting = list.reduce((sum, j) => sum + (j.waiting || 0), 0);
      text(summary, list.length === 0 ? 'No journeys yet. Define one with POST /v1/journeys.'
        : list.length + (list.length === 1 ? ' journey' : ' journeys') + ' \u00b7 ' + num(waiting) + ' waiting now');
      replace(problem);
      replace(updated, 'Updated ', now());
      schedule(EVERY_MS);
    } catch (e) {
      if (stopped || e instanceof Unauthorized || e.name === 'AbortError') {
        return;
      }
      replace(problem, errorBox('The journeys could not be read: ' + e.message + ' (trying again)'));
      schedule(EVERY_MS);
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
