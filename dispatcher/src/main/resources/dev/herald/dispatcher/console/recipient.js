// A recipient ("why did +44… not get it?"): for a phone number and a campaign chosen from the list,
// the outcome and its reason (GET /v1/campaigns/{id}/recipients/{phone}), and the number's consent
// state and history (GET /v1/suppressions/{phone}). Only the campaign is kept in the address
// (#/recipient?campaign=c-1): a phone number is personal data and stays out of the browser's history.

import { ApiError, get, Unauthorized } from './api.js';
import { errorBox, figures, h, replace, text, time } from './dom.js';

const HISTORY = ['Time', 'Action', 'Scope', 'Source', 'Channel', 'What they sent', 'Campaign'];

export function recipientPage(main, session, params) {
  let stopped = false;
  let asked = 0; // the latest lookup: an older answer arriving late is dropped
  const aborts = new AbortController();

  const phone = h('input', {
    id: 'phone', name: 'phone', type: 'tel', autocomplete: 'off', required: true, placeholder: '+447400123456',
    'aria-describedby': 'phone-help phone-error',
  });
  const campaign = h('select', { id: 'campaign', name: 'campaign', 'aria-describedby': 'campaign-error' },
    h('option', { value: '' }, 'Loading the campaigns\u2026'));
  const phoneError = h('p', { id: 'phone-error', class: 'error', role: 'alert' });
  const campaignError = h('p', { id: 'campaign-error', class: 'error', role: 'alert' });
  const outcome = h('div', { id: 'outcome-body' });
  const consent = h('div', { id: 'consent-body' });
  const form = h('form', { id: 'recipient-form', class: 'card filters', role: 'search', 'aria-label': 'Look up a recipient' },
    h('div', {}, h('label', { for: 'phone' }, 'Phone number'), phone,
      h('p', { id: 'phone-help', class: 'muted' }, 'In international form, e.g. +447400123456'), phoneError),
    h('div', {}, h('label', { for: 'campaign' }, 'Campaign'), campaign, campaignError),
    h('div', {}, h('button', { type: 'submit', id: 'look-up' }, 'Look up')));

  document.title = 'Recipient \u00b7 Herald console';
  replace(main, h('h1', {}, 'Recipient'),
    h('p', { class: 'muted' }, 'Why did a number get a campaign, or not? Its outcome, and its consent history.'),
    form,
    h('div', { class: 'grid' },
      h('section', { id: 'outcome', 'aria-labelledby': 'outcome-title' }, h('h2', { id: 'outcome-title' }, 'In this campaign'), outcome),
      h('section', { id: 'consent', 'aria-labelledby': 'consent-title' }, h('h2', { id: 'consent-title' }, 'Consent'), consent)));

  function facts(pairs) {
    return h('dl', { class: 'facts' }, pairs.filter(p => p).map(([k, v, id]) => [h('dt', {}, k), h('dd', { id }, v)]));
  }

  async function showOutcome(p, id, n) {
    if (!id) {
      replace(outcome, h('p', { class: 'muted' }, 'Choose a campaign.'));
      return;
    }
    replace(outcome, h('p', { class: 'muted' }, 'Asking Herald\u2026'));
    try {
      const r = await get('/v1/campaigns/' + encodeURIComponent(id) + '/recipients/' + encodeURIComponent(p), aborts.signal);
      if (stopped || n !== asked) {
        return;
      }
      const d = r.delivery;
      replace(outcome, facts([
        ['Outcome', r.outcome, 'recipient-outcome'],
        ['Why', r.reason || '\u2013', 'recipient-reason'],
        r.at ? ['Deferred until', time(r.at), 'recipient-at'] : null,
        d ? ['Delivery', d.result, 'recipient-delivery'] : null,
        d && d.messageIds && d.messageIds.length ? ['Message ids', d.messageIds.join(', ')] : null,
      ]));
    } catch (e) {
      if (stopped || n !== asked || e instanceof Unauthorized || e.name === 'AbortError') {
        return;
      }
      replace(outcome, errorBox(e));
    }
  }

  async function showConsent(p, n) {
    replace(consent, h('p', { class: 'muted' }, 'Asking Herald\u2026'));
    try {
      const s = await get('/v1/suppressions/' + encodeURIComponent(p), aborts.signal);
      if (stopped || n !== asked) {
        return;
      }
      const history = s.history || [];
      replace(consent,
        facts([['Opted out', s.suppressed ? 'yes: ' + (s.scopes || []).join(', ') : 'no', 'consent-state']]),
        s.complete === false ? h('p', { class: 'notice', id: 'consent-damaged' },
          'Part of the consent ledger could not be read: this history may miss records.') : null,
        history.length === 0 ? h('p', { class: 'muted', id: 'consent-none' }, 'No consent records for this number.')
          : h('div', { class: 'scroll' }, figures('Consent history, oldest first', HISTORY,
            history.map(r => [time(r.time), r.action, r.scope, r.source, r.channel || '\u2013', r.reason || '\u2013',
              r.campaign || '\u2013']), 'consent-history', true)));
    } catch (e) {
      if (stopped || n !== asked || e instanceof Unauthorized || e.name === 'AbortError') {
        return;
      }
      if (e instanceof ApiError && e.field === 'phone') {
        phoneError.textContent = e.message;
        replace(consent);
      } else {
        replace(consent, errorBox(e));
      }
    }
  }

  function lookUp() {
    const p = phone.value.trim();
    const id = campaign.value;
    text(phoneError, '');
    text(campaignError, '');
    if (p === '') {
      text(phoneError, 'Enter a phone number.');
      phone.focus();
      return;
    }
    const q = new URLSearchParams();
    if (id) {
      q.set('campaign', id);
    }
    history.replaceState(null, '', '#/recipient' + (id ? '?' + q.toString() : ''));
    const n = ++asked;
    showOutcome(p, id, n);
    showConsent(p, n);
  }

  form.addEventListener('submit', event => {
    event.preventDefault();
    lookUp();
  });

  get('/v1/campaigns', aborts.signal).then(answer => {
    if (stopped) {
      return;
    }
    const list = (answer.campaigns || []).slice()
      .sort((a, b) => String(b.createdAt).localeCompare(String(a.createdAt)) || a.id.localeCompare(b.id));
    replace(campaign, h('option', { value: '' }, list.length ? 'Choose a campaign' : 'No campaigns yet'),
      list.map(c => h('option', { value: c.id }, (c.name || c.id) + ' \u00b7 ' + c.status + ' \u00b7 ' + c.id)));
    const wanted = params.get('campaign');
    if (wanted && list.some(c => c.id === wanted)) {
      campaign.value = wanted;
    }
    if (phone.value.trim()) {
      lookUp();
    }
  }).catch(e => {
    if (!stopped && !(e instanceof Unauthorized) && e.name !== 'AbortError') {
      replace(campaign, h('option', { value: '' }, 'The campaigns could not be read'));
      text(campaignError, e.message);
    }
  });

  phone.focus();
  return {
    stop() {
      stopped = true;
      aborts.abort();
    },
  };
}
