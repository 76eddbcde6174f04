// One campaign: its progress and outcome breakdown, live over GET /v1/campaigns/{id}/events
// (polling GET /v1/campaigns/{id} if the stream cannot be read); its funnel as a chart with rates;
// how fast receipts and clicks came (the funnel's timing); its opt-outs by time since the send and
// by reason (GET /v1/campaigns/{id}/optouts); its variants and A/B decision, with the operator's
// pick of a winner; pause, resume and cancel for sender and admin keys only.

import { canSteer, get, post, stream, Unauthorized } from './api.js';
import { announce, badge, errorBox, figures, h, now, num, pct, replace, section, text, time } from './dom.js';
import { variantsView } from './ab-test.js';
import { barsView, delayLabel } from './bars.js';
import { decided, progressBar } from './campaigns.js';
import { funnelView } from './funnel-chart.js';
import { steeringBar } from './steering.js';

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


/** A duration in seconds as words: 42 s, 3 min, 5.5 h, 2.1 days. */
function seconds(n) {
  if (n === null || n === undefined) {
    return '\u2013';
  }
  if (n < 60) {
    return n + ' s';
  }
  if (n < 3600) {
    return Math.round(n / 60) + ' min';
  }
  if (n < 86400) {
    return (Math.round(n / 360) / 10) + ' h';
  }
  return (Math.round(n / 8640) / 10) + ' days';
}

export function campaignPage(main, id, session) {
  let stopped = false;
  let view = null;
  let pollTimer = null;
  let funnelTimer = null;
  let funnelAt = 0;
  let lastFunnel = null;
  let funnelSeq = 0; // the latest funnel read: an older answer arriving late is dropped
  let streaming = false; // the event stream is open: it alone brings status changes, in order
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
  const timing = h('div', { id: 'timing-body' }, h('p', { class: 'muted' }, 'Loading\u2026'));
  const optOuts = h('div', { id: 'optouts-body' }, h('p', { class: 'muted' }, 'Loading\u2026'));
  const winnerError = h('div', { id: 'winner-error' });
  const variants = section('variants', 'Variants and A/B test', h('div', { id: 'variants-body' }),
    h('div', { id: 'winner-body' }), winnerError);
  variants.hidden = true;
  let picking = false; // an operator's pick is on its way: its buttons stay disabled

  replace(main,
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/campaigns' }, 'Campaigns'), ' / '),
    h('div', { class: 'title' }, heading, status),
    meta, live, actions, actionError,
    h('div', { class: 'grid' },
      section('progress', 'Progress', progress),
      section('outcomes', 'Outcome breakdown', outcomes)),
    section('funnel', 'Funnel', funnel),
    h('div', { class: 'grid' },
      section('timing', 'How fast', timing),
      section('optouts', 'Opt-outs', optOuts)),
    section('delivery', 'Delivery receipts', delivery),
    variants);

  const bar = steeringBar(actions, heading, {
    list: ACTIONS,
    danger: {
      action: 'cancel', yes: 'Yes, cancel it', no: 'Keep sending',
      question: 'Cancel this campaign? Recipients not yet sent to will not get it. This cannot be undone.',
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
      bar.redraw();
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
    bar.show(v.status, canSteer(session));
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
      winnerButtons(v);
    }
  }

  /** An operator may pick the winner while the test waits for its decision (sender and admin keys). */
  function winnerButtons(v) {
    const body = variants.querySelector('#winner-body');
    const ex = v.experiment;
    const open = canSteer(session) && v.test && ex && ex.sampledAt && !ex.decidedAt && !ENDED.includes(v.status);
    const key = open ? v.variants.map(x => x.name).join() : '';
    if (body.getAttribute('data-shown') === key) {
      return;
    }
    body.setAttribute('data-shown', key);
    if (!open) {
      replace(body);
      return;
    }
    replace(body, h('div', { class: 'actions', role: 'group', 'aria-labelledby': 'winner-question' },
      h('p', { id: 'winner-question' }, 'Pick the winner now, before the decision is due? The held recipients get it.'),
      v.variants.map(x => h('button', {
        type: 'button', class: 'pick-winner', 'data-variant': x.name, disabled: picking,
        onclick: () => pickWinner(x.name),
      }, 'Send ' + x.name))));
  }

  async function pickWinner(name) {
    const body = variants.querySelector('#winner-body');
    picking = true;
    replace(winnerError);
    for (const b of body.querySelectorAll('button')) {
      b.disabled = true;
    }
    try {
      const answer = await post(path + '/winner', { variant: name }, aborts.signal);
      picking = false;
      if (!stopped) {
        announce('Winner picked: ' + name + '.');
        show(answer);
        maybeFunnel(true);
      }
    } catch (e) {
      picking = false;
      if (stopped || e instanceof Unauthorized || e.name === 'AbortError') {
        return;
      }
      body.removeAttribute('data-shown');
      if (view) {
        winnerButtons(view);
      }
      // kept beside the buttons (or where they were, if the test was decided meanwhile), and the focus goes to it
      replace(winnerError, errorBox('Could not pick ' + name + ': ' + e.message));
      winnerError.setAttribute('tabindex', '-1');
      winnerError.focus();
    }
  }

  function showFunnel(f) {
    lastFunnel = f;
    replace(funnel, funnelView(f, 'Funnel of ' + (view ? view.name || view.id : id)));
    const t = f.timing || {};
    const curve = (key, chartId, title) => {
      const d = t[key];
      if (!d || !d.buckets) {
        return [];
      }
      return [d.count > 0 ? h('h3', {}, title) : null,
        d.p50Seconds !== null && d.p50Seconds !== undefined
          ? h('p', { class: 'muted' }, 'Median ' + seconds(d.p50Seconds) + ', 90 % within ' + seconds(d.p90Seconds) + '.') : null,
        barsView(chartId, title, Object.entries(d.buckets).map(([b, n]) => [delayLabel(b), n]),
          { cumulative: true, by: 'Within' })];
    };
    replace(timing, curve('sendToDelivery', 'delivery-curve', 'From send to delivery receipt'),
      curve('deliveryToClick', 'click-curve', 'From delivery to first click'));
    if (view) {
      showVariants(view, f);
    }
  }

  function showOptOuts(o) {
    const reasons = Object.entries(o.byReason || {}).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]);
    replace(optOuts,
      h('p', { id: 'optouts-summary' }, num(o.optOuts), ' opted out', o.rate !== null && o.rate !== undefined
        ? ' (' + pct(o.rate) + ' of ' + num(o.sent) + ' sent)' : '', '.'),
      o.optOuts > 0 ? [
        h('h3', {}, 'By time since the send'),
        barsView('optouts-hours', 'Opt-outs by hours since the send',
          Object.entries(o.byHoursSinceSend || {}).filter(([b, n]) => b !== 'unknown' || n > 0)
            .map(([b, n]) => [b === 'unknown' ? 'not known' : b + ' h', n]), { by: 'Hours after' }),
        h('h3', {}, 'By reason'),
        barsView('optouts-reasons', 'Opt-outs by reason', reasons, { by: 'Reason' })] : null);
  }

  async function loadFunnel() {
    funnelTimer = null;
    funnelAt = Date.now();
    const n = ++funnelSeq;
    const [f, o] = await Promise.allSettled([get(path + '/funnel', aborts.signal), get(path + '/optouts', aborts.signal)]);
    if (stopped || n !== funnelSeq) {
      return;
    }
    for (const [r, el, what] of [[f, funnel, 'The funnel'], [o, optOuts, 'The opt-outs']]) {
      if (r.status === 'rejected' && !(r.reason instanceof Unauthorized) && r.reason.name !== 'AbortError') {
        replace(el, errorBox(what + ' could not be read: ' + r.reason.message));
      }
    }
    if (f.status === 'fulfilled') {
      showFunnel(f.value);
    } else {
      replace(timing, h('p', { class: 'muted' }, 'Comes with the funnel.'));
    }
    if (o.status === 'fulfilled') {
      showOptOuts(o.value);
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
