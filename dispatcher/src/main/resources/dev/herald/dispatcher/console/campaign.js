// One campaign: its progress and outcome breakdown, live over GET /v1/campaigns/{id}/events
// (polling GET /v1/campaigns/{id} if the stream cannot be read); its funnel as a chart with rates;
// its variants and A/B decision; pause, resume and cancel for sender and admin keys only.

import { canSteer, get, post, stream, Unauthorized } from './api.js';
import { announce, badge, errorBox, figures, h, now, num, pct, replace, text, time } from './dom.js';
import { variantsView } from './ab-test.js';
import { decided, progressBar } from './campaigns.js';
import { funnelView } from './funnel-chart.js';

const ENDED = ['completed', 'cancelled', 'failed', 'damaged'];
const FAMILIES = [
  ['sent', 'Sent'], ['suppressed', 'Suppressed (opted out)'], ['deferred', 'Deferred (quiet hours, waiting)'],
  ['capped', 'Capped (frequency)'], ['failed', 'Failed'], ['unknown', 'Unknown (no answer)'], ['expired', 'Expired'],
  ['held', 'Held (A/B test)'], ['inFlight', 'In flight'], ['pending', 'Pending'],
];
/** What each steering action may be done from (the API answers 409 otherwise). */
const ACTIONS = [
  ['pause', 'Pause', ['scheduled', 'running']],
  ['resume', 'Resume', ['paused']],
  ['cancel', 'Cancel campaign', ['scheduled', 'running', 'paused']],
];
const FUNNEL_EVERY_MS = 5000;

function section(id, title, ...content) {
  return h('section', { id, 'aria-labelledby': id + '-title' }, h('h2', { id: id + '-title' }, title), content);
}


export function campaignPage(main, id, session) {
  let stopped = false;
  let view = null;
  let pollTimer = null;
  let funnelTimer = null;
  let funnelAt = 0;
  let lastFunnel = null;
  let streaming = false; // the event stream is open: it alone brings status changes, in order
  let focusActions = false; // a steering action was done: the next buttons drawn take the focus
  const aborts = new AbortController();
  const path = '/v1/campaigns/' + encodeURIComponent(id);

  const heading = h('h1', { id: 'campaign-name', tabindex: -1 }, id);
  const status = h('span', { id: 'campaign-status' });
  const meta = h('p', { class: 'meta', id: 'campaign-meta' });
  const live = h('p', { id: 'campaign-live', class: 'muted' });
  const actions = h('div', { id: 'actions', class: 'actions', role: 'group', 'aria-label': 'Steer this campaign' });
  const actionError = h('div', { id: 'action-error' });
  const progress = h('div', { id: 'progress-body' });
  const outcomes = h('div', { id: 'outcomes-body' });
  const delivery = h('div', { id: 'delivery-body' });
  const funnel = h('div', { id: 'funnel-body' }, h('p', { class: 'muted' }, 'Loading the funnel\u2026'));
  const variants = section('variants', 'Variants and A/B test', h('div', { id: 'variants-body' }));
  variants.hidden = true;

  replace(main,
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/campaigns' }, 'Campaigns'), ' / '),
    h('div', { class: 'title' }, heading, status),
    meta, live, actions, actionError,
    h('div', { class: 'grid' },
      section('progress', 'Progress', progress),
      section('outcomes', 'Outcome breakdown', outcomes)),
    section('funnel', 'Funnel', funnel),
    section('delivery', 'Delivery receipts', delivery),
    variants);

  function steerButtons() {
    if (!canSteer(session) || !view) {
      replace(actions);
      return;
    }
    const allowed = ACTIONS.filter(([, , from]) => from.includes(view.status));
    const key = allowed.map(a => a[0]).join();
    if (actions.getAttribute('data-shown') === key) {
      return; // the same buttons (or the cancel question, while cancel is still possible)
    }
    const focused = document.activeElement && actions.contains(document.activeElement);
    actions.setAttribute('data-shown', key);
    replace(actions, allowed.map(([action, label]) => h('button', {
      type: 'button', id: action, class: action === 'cancel' ? 'danger' : null,
      onclick: () => (action === 'cancel' ? confirmCancel() : steer(action)),
    }, label)));
    if (focused || focusActions) {
      focusActions = false;
      // the button pressed is gone: its successor (Resume after Pause) takes the focus, or the heading
      (actions.firstChild || heading).focus();
    }
  }

  function redrawButtons() {
    actions.removeAttribute('data-shown');
    steerButtons();
  }

  function confirmCancel() {
    const yes = h('button', { type: 'button', id: 'cancel-confirm', class: 'danger', onclick: () => steer('cancel') },
      'Yes, cancel it');
    const no = h('button', { type: 'button', id: 'cancel-keep', onclick: () => {
      redrawButtons();
      const b = document.getElementById('cancel');
      if (b) {
        b.focus();
      }
    } }, 'Keep sending');
    replace(actions, h('div', { class: 'confirm', role: 'group', 'aria-labelledby': 'cancel-question' },
      h('p', { id: 'cancel-question' }, 'Cancel this campaign? Recipients not yet sent to will not get it. This cannot be undone.'),
      yes, ' ', no));
    no.focus();
  }

  async function steer(action) {
    replace(actionError);
    for (const b of actions.querySelectorAll('button')) {
      b.disabled = true;
    }
    try {
      const answer = await post(path + '/' + action, undefined, aborts.signal);
      if (stopped) {
        return;
      }
      focusActions = true;
      if (streaming && view && answer.status !== view.status) {
        // The stream brings the new status in order; shown from here, a progress event sent just before
        // the change and read just after would show the old status again. Unless it stays silent:
        window.setTimeout(() => {
          if (!stopped && view && view.status !== answer.status && actions.querySelector('button:disabled')) {
            show(answer);
          }
        }, 3000);
      } else {
        actions.removeAttribute('data-shown');
        show(answer);
      }
    } catch (e) {
      if (stopped || e instanceof Unauthorized || e.name === 'AbortError') {
        return;
      }
      replace(actionError, errorBox('Could not ' + action + ': ' + e.message));
      redrawButtons();
    }
  }

  function show(v) {
    const before = view;
    view = v;
    text(heading, v.name || v.id);
    document.title = (v.name || v.id) + ' \u00b7 Herald console';
    if (!before || before.status !== v.status) {
      replace(status, badge(v.status));
      if (before) {
        announce('Campaign ' + v.status + '.');
      }
    }
    replace(meta,
      h('span', {}, v.channel, ' \u00b7 ', v.category, ' \u00b7 sender ', v.sender),
      v.connector ? h('span', {}, ' \u00b7 connector ', v.connector) : null,
      h('span', { class: 'muted id' }, ' \u00b7 ', v.id));
    steerButtons();
    showProgress(v);
    showOutcomes(v);
    showDelivery(v);
    showVariants(v, lastFunnel);
    maybeFunnel(!before || (ENDED.includes(v.status) && !ENDED.includes(before.status)));
  }

  function showProgress(v) {
    const k = v.counts || {};
    replace(progress,
      h('p', {}, progressBar(v, 'Recipients decided'), ' ',
        h('span', { id: 'progress-text' }, num(decided(v)) + ' of ' + num(v.total) + ' recipients decided')),
      figures('Recipients by outcome', ['Outcome', 'Recipients', 'Share'],
        FAMILIES.filter(([key]) => (k[key] || 0) > 0 || ['sent', 'pending'].includes(key))
          .map(([key, label]) => [label, num(k[key]), pct(v.total > 0 ? (k[key] || 0) / v.total : null)]), 'counts'),
      h('dl', { class: 'facts' },
        h('dt', {}, 'Created'), h('dd', {}, time(v.createdAt)),
        v.startAt ? [h('dt', {}, 'Scheduled for'), h('dd', {}, time(v.startAt))] : null,
        v.localTime ? [h('dt', {}, 'Local send time'), h('dd', {}, v.localTime, ' in each recipient\u2019s zone')] : null,
        h('dt', {}, 'Started'), h('dd', {}, time(v.startedAt)),
        h('dt', {}, 'Finished'), h('dd', {}, time(v.finishedAt)),
        v.expiresAt ? [h('dt', {}, 'Expires'), h('dd', {}, time(v.expiresAt))] : null,
        v.error ? [h('dt', {}, 'Error'), h('dd', { class: 'error' }, v.error)] : null));
  }

  function showOutcomes(v) {
    const entries = Object.entries(v.outcomes || {}).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
    replace(outcomes, entries.length === 0
      ? h('p', { class: 'muted' }, 'No recipient has an outcome yet.')
      : figures('Every outcome reason', ['Reason', 'Recipients'], entries.map(([reason, n]) => [reason, num(n)]), 'outcomes-table'));
  }

  function showDelivery(v) {
    const entries = Object.entries(v.delivery || {});
    replace(delivery, entries.length === 0
      ? h('p', { class: 'muted' }, 'No delivery receipts (the connector sends none, or none came yet).')
      : figures('Receipts of sent recipients', ['Result', 'Recipients'], entries.map(([r, n]) => [r, num(n)]), 'delivery-table'));
  }

  function showVariants(v, f) {
    variants.hidden = !v.variants;
    if (v.variants) {
      replace(variants.querySelector('#variants-body'), variantsView(v, f));
    }
  }

  function showFunnel(f) {
    lastFunnel = f;
    replace(funnel, funnelView(f, 'Funnel of ' + (view ? view.name || view.id : id)));
    if (view) {
      showVariants(view, f);
    }
  }

  async function loadFunnel() {
    funnelTimer = null;
    funnelAt = Date.now();
    try {
      const f = await get(path + '/funnel', aborts.signal);
      if (!stopped) {
        showFunnel(f);
      }
    } catch (e) {
      if (stopped || e instanceof Unauthorized || e.name === 'AbortError') {
        return;
      }
      replace(funnel, errorBox('The funnel could not be read: ' + e.message));
    }
  }

  /** Reads the funnel at once the first time and when the campaign ends, else at most every 5 s while counts move. */
  function maybeFunnel(now) {
    if (stopped) {
      return;
    }
    if (now) {
      if (funnelTimer !== null) {
        window.clearTimeout(funnelTimer);
      }
      loadFunnel();
      return;
    }
    if (funnelTimer === null) {
      funnelTimer = window.setTimeout(loadFunnel, Math.max(0, funnelAt + FUNNEL_EVERY_MS - Date.now()));
    }
  }

  function liveText(how) {
    replace(live, how, ' \u00b7 updated ', now());
  }

  async function follow() {
    streaming = true;
    try {
      await stream(path + '/events', (type, v) => {
        if (!stopped) {
          show(v);
          liveText(type === 'end' ? 'Final' : 'Live');
        }
      }, aborts.signal);
      streaming = false;
      if (!stopped && view && !ENDED.includes(view.status)) {
        poll(); // the stream ended early (a restart?): keep watching
      }
    } catch (e) {
      streaming = false;
      if (stopped || e instanceof Unauthorized || e.name === 'AbortError') {
        return;
      }
      poll(); // a stream this browser or a proxy cannot read: poll instead
    }
  }

  async function poll() {
    pollTimer = null;
    try {
      const v = await get(path, aborts.signal);
      if (stopped) {
        return;
      }
      show(v);
      liveText('Polling');
      if (!ENDED.includes(v.status)) {
        pollTimer = window.setTimeout(poll, 2000);
      }
    } catch (e) {
      if (stopped || e instanceof Unauthorized || e.name === 'AbortError') {
        return;
      }
      replace(live, errorBox('Could not read the campaign: ' + e.message + ' (trying again)'));
      pollTimer = window.setTimeout(poll, 5000);
    }
  }

  (async () => {
    try {
      const v = await get(path, aborts.signal);
      if (stopped) {
        return;
      }
      show(v); // and the funnel, the first time
      if (ENDED.includes(v.status)) {
        liveText('Final');
      } else {
        follow();
      }
    } catch (e) {
      if (stopped || e instanceof Unauthorized || e.name === 'AbortError') {
        return;
      }
      replace(main, h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/campaigns' }, 'Campaigns')),
        h('h1', {}, e.status === 404 ? 'No such campaign' : 'The campaign could not be read'), errorBox(e));
    }
  })();

  return {
    stop() {
      stopped = true;
      aborts.abort();
      for (const t of [pollTimer, funnelTimer]) {
        if (t !== null) {
          window.clearTimeout(t);
        }
      }
    },
  };
}
