// One journey: who entered and converted, each step with how many wait there now and how many
// arrived (send steps: sent, delivered, clicked, converted), exits by reason, and the flow of the
// last days — all from GET /v1/journeys/{id}/report, read again every 5 s while the page is shown.
// Pause, resume and archive (which asks first) for sender and admin keys only.

import { canSteer, get, post, Unauthorized } from './api.js';
import { announce, badge, errorBox, figures, h, now, num, pct, replace, section, text, zone } from './dom.js';
import { flowView } from './journey-flow.js';
import { steeringBar } from './steering.js';

const EVERY_MS = 5000;
const FLOW_DAYS = [7, 14, 30, 90];
/** What each steering action may be done from (the API answers 409 otherwise). */
const ACTIONS = [
  ['pause', 'Pause', ['active']],
  ['resume', 'Resume', ['paused']],
  ['archive', 'Archive journey', ['active', 'paused']],
];

/** @return the browser's zone if it has a name the API knows the form of, else null (UTC days) */
function flowZone() {
  return /^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/.test(zone) ? zone : null;
}

export function journeyPage(main, id, session) {
  let stopped = false;
  let timer = null;
  let report = null;
  let status = null; // the status shown (a steering answer may bring it before the next report)
  let days = 7;
  let asked = 0; // the latest read: an older answer arriving late (other days asked since) is dropped
  const aborts = new AbortController();
  const path = '/v1/journeys/' + encodeURIComponent(id);

  const heading = h('h1', { id: 'journey-name', tabindex: -1 }, id);
  const statusEl = h('span', { id: 'journey-status' });
  const meta = h('p', { class: 'meta', id: 'journey-meta' });
  const live = h('p', { id: 'journey-live', class: 'muted' });
  const actions = h('div', { id: 'actions', class: 'actions', role: 'group', 'aria-label': 'Steer this journey' });
  const actionError = h('div', { id: 'action-error' });
  const totals = h('div', { id: 'totals-body' });
  const exits = h('div', { id: 'exits-body' });
  const steps = h('div', { id: 'steps-body' }, h('p', { class: 'muted' }, 'Loading the report\u2026'));
  const flowDays = h('select', { id: 'flow-days', name: 'days' }, FLOW_DAYS.map(d => h('option', { value: d }, d + ' days')));
  const flow = h('div', { id: 'flow-body' });
  flowDays.addEventListener('change', () => {
    days = Number(flowDays.value);
    load();
  });

  replace(main,
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/journeys' }, 'Journeys'), ' / '),
    h('div', { class: 'title' }, heading, statusEl),
    meta, live, actions, actionError,
    h('div', { class: 'grid' },
      section('totals', 'Entered and converted', totals),
      section('exits', 'Exits by reason', exits)),
    section('steps', 'Steps', steps),
    section('flow', 'Flow of the last days',
      h('div', { class: 'filters' }, h('div', {}, h('label', { for: 'flow-days' }, 'Days'), flowDays)),
      flow));

  const bar = steeringBar(actions, heading, {
    list: ACTIONS,
    danger: {
      action: 'archive', yes: 'Yes, archive it', no: 'Keep it',
      question: 'Archive this journey? Nobody enters it again and everyone in it leaves now. This cannot be undone.',
    },
    onSteer: action => steer(action),
  });

  async function steer(action) {
    replace(actionError);
    bar.busy();
    try {
      const answer = await post(path + '/' + action, undefined, aborts.signal);
      if (stopped) {
        return;
      }
      bar.steered();
      showStatus(answer.status);
      actions.removeAttribute('data-shown');
      bar.show(status, canSteer(session));
      load(); // the report at once: archiving ends every instance
    } catch (e) {
      if (stopped || e instanceof Unauthorized || e.name === 'AbortError') {
        return;
      }
      replace(actionError, errorBox('Could not ' + action + ': ' + e.message));
      bar.redraw();
    }
  }

  function showStatus(s) {
    if (status === s) {
      return;
    }
    const before = status;
    status = s;
    replace(statusEl, badge(s));
    if (before) {
      announce('Journey ' + s + '.');
    }
  }

  function show(r) {
    report = r;
    text(heading, r.name || r.journey);
    document.title = (r.name || r.journey) + ' \u00b7 Herald console';
    showStatus(r.status);
    bar.show(status, canSteer(session));
    replace(meta, h('span', {}, 'Version ', num(r.version)), h('span', { class: 'muted id' }, ' \u00b7 ', r.journey));
    replace(totals, figures('This journey so far', ['Figure', 'Count'], [
      ['Entered', num(r.entered)], ['Waiting now', num(r.waiting)], ['Converted', num(r.converted)],
      ['Conversion rate (of entered)', pct(r.conversionRate)]], 'totals-table'));
    const ended = Object.entries(r.exited || {}).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    replace(exits, ended.length === 0 ? h('p', { class: 'muted', id: 'exits-none' }, 'Nobody has left it yet.')
      : figures('Instances ended, by reason', ['Reason', 'Instances'], ended.map(([reason, n]) => [reason, num(n)]),
        'exits-table'));
    showSteps(r);
    if (r.flow) {
      replace(flow, flowView(r.flow, 'Entries per day of ' + (r.name || r.journey)));
    }
  }

  function showSteps(r) {
    const versions = (r.versions || []).slice().sort((a, b) => b.version - a.version);
    // the current version, and an older one only while someone is still on it
    const shown = versions.filter(v => v.version === r.version || (v.steps || []).some(s => s.now > 0));
    replace(steps, shown.map(v => {
      const send = (v.steps || []).some(s => s.type === 'send');
      const head = ['Step', 'Type', 'Waiting now', 'Arrived'].concat(send ? ['Sent', 'Delivered', 'Clicked', 'Converted'] : []);
      const current = v.version === r.version;
      // a table on a wide screen, a card per step at phone width (each figure labelled)
      return h('table', {
        class: 'figures rows steps', id: current ? 'steps-table' : 'steps-table-v' + v.version, 'data-version': v.version,
      },
      h('caption', {}, current ? 'Version ' + v.version + ' (current)' : 'Version ' + v.version + ' (instances still on it)'),
      h('thead', {}, h('tr', {}, head.map((c, i) => h('th', { scope: 'col', class: i > 1 ? 'n' : null }, c)))),
      h('tbody', {}, (v.steps || []).map(s => h('tr', { 'data-step': s.id },
        h('th', { scope: 'row', 'data-label': 'Step' }, h('span', { class: 'id step-id' }, s.id)),
        h('td', { 'data-label': 'Type' }, s.type),
        h('td', { class: 'n', 'data-count': 'now', 'data-label': 'Waiting now' }, num(s.now)),
        h('td', { class: 'n', 'data-count': 'arrived', 'data-label': 'Arrived' }, num(s.arrived)),
        send ? ['sent', 'delivered', 'clicked', 'converted'].map((k, i) => h('td', {
          class: 'n', 'data-count': k, 'data-label': head[4 + i],
        }, s.type === 'send' ? num(s[k]) : '\u2013')) : null))));
    }));
  }

  async function load() {
    if (timer !== null) {
      window.clearTimeout(timer);
      timer = null;
    }
    if (stopped) {
      return;
    }
    if (document.hidden && report) {
      schedule();
      return;
    }
    const q = new URLSearchParams({ days: String(days) });
    if (flowZone()) {
      q.set('tz', flowZone());
    }
    const n = ++asked;
    try {
      const r = await get(path + '/report?' + q.toString(), aborts.signal);
      if (stopped || n !== asked) {
        return;
      }
      show(r);
      replace(live, 'Live \u00b7 updated ', now());
      schedule();
    } catch (e) {
      if (stopped || n !== asked || e instanceof Unauthorized || e.name === 'AbortError') {
        return;
      }
      if (!report && e.status === 404) {
        replace(main, h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/journeys' }, 'Journeys')),
          h('h1', {}, 'No such journey'), errorBox(e));
        return;
      }
      replace(live, errorBox('Could not read the journey: ' + e.message + ' (trying again)'));
      schedule();
    }
  }

  function schedule() {
    if (!stopped && timer === null) {
      timer = window.setTimeout(load, EVERY_MS);
    }
  }

  load();
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
