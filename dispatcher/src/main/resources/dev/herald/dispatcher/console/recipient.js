// A recipient ("why did +44… not get it?"): for a phone number, its outcome in each of the newest
// 50 campaigns that had it in their audience (GET /v1/recipients/{phone}/campaigns), and for a
// campaign chosen from the list the outcome in detail (GET /v1/campaigns/{id}/recipients/{phone});
// a deferral shows in the operator's time and on the recipient's own clock; the number's consent
// state and history (GET /v1/suppressions/{phone}), its preferences (GET /v1/recipients/{phone}/
// preferences) and where it is in each journey it is or was in (GET /v1/journeys/{id}/recipients/
// {phone}, a few journeys at a time). Only the campaign is kept in the address
// (#/recipient?campaign=c-1): a phone number is personal data and stays out of the browser's history.

import { ApiError, get, Unauthorized } from './api.js';
import { errorBox, figures, h, replace, text, time } from './dom.js';

const HISTORY = ['Time', 'Action', 'Scope', 'Source', 'Channel', 'What they sent', 'Campaign'];
const ACROSS = ['Campaign', 'Status', 'Outcome', 'Why', 'Deferred until', 'Created'];
const POSITIONS = ['Step', 'Type', 'Key', 'Due', 'Waiting', 'Version'];
/** How many journeys are asked at once (a browser keeps at most six connections to a server). */
const AT_ONCE = 4;
/** The most history lines shown per journey (the latest). */
const HISTORY_SHOWN = 50;

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
  const across = h('div', { id: 'across-body' });
  const consent = h('div', { id: 'consent-body' });
  const journeys = h('div', { id: 'journeys-body' });
  const preferences = h('div', { id: 'preferences-body' });
  const form = h('form', { id: 'recipient-form', class: 'card filters', role: 'search', 'aria-label': 'Look up a recipient' },
    h('div', {}, h('label', { for: 'phone' }, 'Phone number'), phone,
      h('p', { id: 'phone-help', class: 'muted' }, 'In international form, e.g. +447400123456'), phoneError),
    h('div', {}, h('label', { for: 'campaign' }, 'Campaign'), campaign, campaignError),
    h('div', {}, h('button', { type: 'submit', id: 'look-up' }, 'Look up')));

  document.title = 'Recipient \u00b7 Herald console';
  replace(main, h('h1', {}, 'Recipient'),
    h('p', { class: 'muted' }, 'Why did a number get a campaign, or not? Its outcome, its consent history, its'
      + ' preferences and where it is in the journeys.'),
    form,
    h('section', { id: 'across', 'aria-labelledby': 'across-title' },
      h('h2', { id: 'across-title' }, 'In the campaigns'), across),
    h('div', { class: 'grid' },
      h('section', { id: 'outcome', 'aria-labelledby': 'outcome-title' }, h('h2', { id: 'outcome-title' }, 'In this campaign'), outcome),
      h('section', { id: 'consent', 'aria-labelledby': 'consent-title' }, h('h2', { id: 'consent-title' }, 'Consent'), consent),
      h('section', { id: 'preferences', 'aria-labelledby': 'preferences-title' },
        h('h2', { id: 'preferences-title' }, 'Preferences'), preferences)),
    h('section', { id: 'journey-positions', 'aria-labelledby': 'journey-positions-title' },
      h('h2', { id: 'journey-positions-title' }, 'In the journeys'), journeys));

  /** A deferral: in the operator's zone, and as the recipient's own clock shows it. */
  function until(r) {
    return h('span', {}, time(r.at), r.localAt
      ? h('span', { class: 'muted local-time' }, ' \u00b7 ' + r.localAt.replace('T', ' ').slice(0, 16) + ' their time (' + r.zone + ')')
      : null);
  }

  async function showAcross(p, n) {
    replace(across, h('p', { class: 'muted' }, 'Asking Herald\u2026'));
    try {
      const r = await get('/v1/recipients/' + encodeURIComponent(p) + '/campaigns', aborts.signal);
      if (stopped || n !== asked) {
        return;
      }
      const list = r.campaigns || [];
      replace(across,
        r.zone ? h('p', { class: 'muted', id: 'recipient-zone' }, 'Their time zone: ' + r.zone) : null,
        list.length === 0 ? h('p', { class: 'muted', id: 'across-none' }, 'No campaign of the newest '
          + r.looked + ' had this number in its audience.')
          : h('div', { class: 'scroll' }, figures('The newest campaigns that had this number in their audience',
            ACROSS, list.map(c => [
              h('a', { href: '#/campaigns/' + encodeURIComponent(c.campaign) }, c.name || c.campaign),
              c.status || '\u2013',
              h('span', { 'data-campaign': c.campaign, class: 'across-outcome' }, c.error ? 'not readable' : c.outcome),
              c.error || c.reason || '\u2013',
              c.at ? until(c) : '\u2013',
              time(c.createdAt)]), 'across-table', true)),
        r.more ? h('p', { class: 'muted' }, 'Older campaigns were not looked in.') : null);
    } catch (e) {
      if (stopped || n !== asked || e instanceof Unauthorized || e.name === 'AbortError') {
        return;
      }
      replace(across, errorBox(e));
    }
  }

  /** What the recipient was sent, as the connector received it (the text for sender and admin keys only). */
  function messageView(m) {
    return h('div', { id: 'recipient-message' },
      h('h3', {}, 'What they were sent'),
      m.text !== null && m.text !== undefined
        ? h('pre', { id: 'recipient-message-text', class: 'message-text' }, m.text)
        : h('p', { class: 'muted', id: 'recipient-message-note' }, m.textNote || 'The text is not shown.'),
      facts([
        ['Handed over', time(m.handedAt), 'recipient-message-at'],
        m.variant ? ['Variant', m.variant] : null,
        ['Connector', m.connector || '\u2013'],
        m.encoding ? ['Encoding', m.encoding.replace('_', '-') + ' \u00b7 ' + m.parts + (m.parts === 1 ? ' part' : ' parts')] : null,
        m.receipt ? ['Receipt', [m.receipt.status, m.receipt.at ? [' \u00b7 ', time(m.receipt.at)] : null],
          'recipient-message-receipt'] : null,
      ]));
  }

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
        r.at ? ['Deferred until', until(r), 'recipient-at'] : null,
        d ? ['Delivery', d.result, 'recipient-delivery'] : null,
        d && d.messageIds && d.messageIds.length ? ['Message ids', d.messageIds.join(', ')] : null,
      ]), r.message ? messageView(r.message) : null);
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

  /** @return true if e only says the number is unknown (404) or not a number (400, shown by the consent) */
  function aboutTheNumber(e) {
    return e instanceof ApiError && (e.status === 404 || e.field === 'phone');
  }

  async function showPreferences(p, n) {
    replace(preferences, h('p', { class: 'muted' }, 'Asking Herald\u2026'));
    try {
      const r = await get('/v1/recipients/' + encodeURIComponent(p) + '/preferences', aborts.signal);
      if (stopped || n !== asked) {
        return;
      }
      const categories = Object.entries(r.categories || {});
      replace(preferences,
        facts([
          ['How often', r.frequency === 'as-sent' ? 'as sent' : r.frequency, 'preferences-frequency'],
          ['Opted out of', (r.suppressed || []).length ? r.suppressed.join(', ') : 'nothing', 'preferences-suppressed'],
        ]),
        categories.length === 0 ? null : figures('Categories it receives', ['Category', 'Receives'],
          categories.map(([c, yes]) => [c, yes ? 'yes' : 'no']), 'preferences-categories', true));
    } catch (e) {
      if (stopped || n !== asked || e instanceof Unauthorized || e.name === 'AbortError') {
        return;
      }
      if (aboutTheNumber(e)) {
        replace(preferences, e.field === 'phone' ? null
          : h('p', { class: 'muted', id: 'preferences-unknown' }, 'Herald has no recipient with this number.'));
      } else {
        replace(preferences, errorBox(e));
      }
    }
  }

  function position(j, w, i) {
    const now = w.instances || [];
    const history = w.history || [];
    const shown = history.slice(-HISTORY_SHOWN);
    return h('article', { class: 'journey-position', 'data-journey': j.id, 'aria-labelledby': 'journey-position-' + i },
      h('h3', { id: 'journey-position-' + i }, h('a', { href: '#/journeys/' + encodeURIComponent(j.id) }, j.name || j.id),
        ' ', h('span', { class: 'muted id' }, j.id)),
      now.length === 0 ? h('p', { class: 'muted' }, 'Not in it now.')
        : h('div', { class: 'scroll' }, figures('Where it is now', POSITIONS, now.map(m => [
          h('span', { class: 'id' }, m.step), m.type, m.key || '\u2013', m.due ? time(m.due) : '\u2013',
          m.waiting || '\u2013', String(m.version)]), 'journey-now-' + i, true)),
      shown.length === 0 ? null : h('div', { class: 'scroll' }, figures(shown.length < history.length
        ? 'Its latest ' + shown.length + ' of ' + history.length + ' steps in this journey, oldest first'
        : 'Its history in this journey, oldest first', ['Time', 'What happened'],
      shown.map(m => [time(m.at), m.what]), 'journey-history-' + i, true)));
  }

  async function showJourneys(p, n) {
    replace(journeys, h('p', { class: 'muted' }, 'Asking Herald\u2026'));
    try {
      const list = (await get('/v1/journeys', aborts.signal)).journeys || [];
      const found = [];
      const problems = [];
      for (let i = 0; i < list.length; i += AT_ONCE) {
        const answers = await Promise.all(list.slice(i, i + AT_ONCE).map(j =>
          get('/v1/journeys/' + encodeURIComponent(j.id) + '/recipients/' + encodeURIComponent(p), aborts.signal)
            .then(w => ({ j, w }), e => ({ j, e }))));
        if (stopped || n !== asked) {
          return;
        }
        for (const { j, w, e } of answers) {
          if (e) {
            if (e instanceof Unauthorized || e.name === 'AbortError') {
              return;
            }
            if (aboutTheNumber(e)) {
              // the same for every journey: the number is unknown or not a number
              replace(journeys, e.field === 'phone' ? null
                : h('p', { class: 'muted', id: 'journeys-unknown' }, 'Herald has no recipient with this number.'));
              return;
            }
            problems.push(h('li', {}, (j.name || j.id) + ': ' + e.message));
          } else if ((w.instances || []).length > 0 || (w.history || []).length > 0) {
            found.push({ j, w });
          }
        }
      }
      if (stopped || n !== asked) {
        return;
      }
      replace(journeys,
        found.length === 0 ? h('p', { class: 'muted', id: 'journeys-none' },
          list.length === 0 ? 'There are no journeys.' : 'This number has not been in any journey.') : null,
        found.map(({ j, w }, i) => position(j, w, i)),
        problems.length ? [h('p', { class: 'error', role: 'alert' }, 'Some journeys could not be read:'), h('ul', {}, problems)] : null);
    } catch (e) {
      if (stopped || n !== asked || e instanceof Unauthorized || e.name === 'AbortError') {
        return;
      }
      replace(journeys, errorBox(e));
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
    showAcross(p, n);
    showOutcome(p, id, n);
    showConsent(p, n);
    showPreferences(p, n);
    showJourneys(p, n);
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
