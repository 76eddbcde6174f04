// Suppressions: how many numbers each scope holds (GET /v1/suppressions); one number's scopes in
// force and consent history (GET /v1/suppressions/{phone}); and, for sender and admin keys only, an
// opt-out (POST /v1/suppressions, JSON), a CSV import (the same route, text/csv) and opting a number
// back in for one scope after a confirm step (DELETE /v1/suppressions/{phone}?scope=&reason=).
// Phone numbers are typed, sent to the API only, and never put in the address (personal data stays
// out of the browser's history).

import { ApiError, canSeePeople, canSteer, del, get, post, Unauthorized, upload } from './api.js';
import { announce, errorBox, field, figures, h, input, now, num, replace, section, text, time } from './dom.js';

const KINDS = {
  global: 'Everything (global)', sender: 'Sender', channel: 'Channel', category: 'Category',
  'sender-channel': 'Sender on one channel',
};
const HISTORY = ['Time', 'Action', 'Scope', 'Source', 'Channel', 'Reason', 'Campaign'];
const SCOPE_HELP = 'global, sender:<id>, channel:<name> or category:<name>';

function quiet(e) {
  return e instanceof Unauthorized || e.name === 'AbortError';
}

/** What a POST /v1/suppressions answered: the three counts and the refused lines or entries. */
function outcome(prefix, r, where) {
  const errors = r.errors || [];
  return [
    figures('What Herald did', ['Numbers', 'How many'], [
      ['Newly opted out', h('span', { 'data-count': 'suppressed' }, num(r.suppressed))],
      ['Already opted out', h('span', { 'data-count': 'alreadySuppressed' }, num(r.alreadySuppressed))],
      ['Rejected', h('span', { 'data-count': 'rejected' }, num(r.rejected))],
    ], prefix + '-counts'),
    errors.length ? h('div', { class: 'scroll' }, figures('Rejected (numbers masked)', [where, 'Number', 'Why'],
      errors.map(e => [String(e.line !== undefined ? e.line : e.index), e.phone || '\u2013', e.reason]),
      prefix + '-errors', true)) : null,
    r.rejected > errors.length ? h('p', { class: 'muted' }, 'Only the first ' + errors.length + ' are listed.') : null,
  ];
}

export function suppressionsPage(main, session) {
  let stopped = false;
  let asked = 0; // the latest lookup: an older answer arriving late is dropped
  const aborts = new AbortController();
  const steer = canSteer(session);

  // ---- counts ----
  const counts = h('div', { id: 'counts-body' }, h('p', { class: 'muted' }, 'Asking Herald\u2026'));
  const updated = h('span', { id: 'counts-updated', class: 'muted' });
  const scopeNames = h('datalist', { id: 'scope-names' }, h('option', { value: 'global' }));
  const refresh = h('button', { type: 'button', id: 'counts-refresh', onclick: () => showCounts() }, 'Refresh');

  // ---- look up ----
  const phone = input('lookup-phone', { type: 'tel', required: true, placeholder: '+447400123456' });
  const lookupForm = h('form', { id: 'lookup-form', class: 'filters', role: 'search', 'aria-label': 'Look up a number' },
    field('lookup-phone', 'Phone number', phone, 'In international form, e.g. +447400123456'),
    h('div', {}, h('button', { type: 'submit', id: 'look-up' }, 'Look up')));
  const lookup = h('div', { id: 'lookup-body', 'aria-live': 'polite' });

  // ---- opt out and import (sender, admin) ----
  const phones = h('textarea', {
    id: 'optout-phones', name: 'optout-phones', rows: 3, required: true,
    'aria-describedby': 'optout-phones-help optout-phones-error',
  });
  const optScope = input('optout-scope', { type: 'text', required: true, list: 'scope-names', placeholder: 'sender:acme' });
  const optReason = input('optout-reason', { type: 'text', maxlength: 500 });
  const optResult = h('div', { id: 'optout-result', 'aria-live': 'polite' });
  const optButton = h('button', { type: 'submit', id: 'optout-add' }, 'Add opt-out');
  const optForm = h('form', { id: 'optout-form', class: 'form', novalidate: true },
    field('optout-phones', 'Phone numbers', phones, 'One or more, separated by new lines or commas, in international form.'),
    h('div', { class: 'grid' },
      field('optout-scope', 'Scope', optScope, SCOPE_HELP),
      field('optout-reason', 'Reason (optional)', optReason, 'Kept in the consent ledger, e.g. "asked by phone".')),
    h('div', { class: 'actions' }, optButton));

  const file = h('input', {
    id: 'import-file', name: 'import-file', type: 'file', accept: '.csv,text/csv', required: true,
    'aria-describedby': 'import-file-help import-file-error',
  });
  const impScope = input('import-scope', { type: 'text', list: 'scope-names', placeholder: 'global' });
  const impReason = input('import-reason', { type: 'text', maxlength: 500 });
  const impResult = h('div', { id: 'import-result', 'aria-live': 'polite' });
  const impButton = h('button', { type: 'submit', id: 'import-send' }, 'Import');
  const impForm = h('form', { id: 'import-form', class: 'form', novalidate: true },
    field('import-file', 'CSV file', file,
      'UTF-8 with a header row: a phone column, optional scope and reason columns (a line\u2019s own win). '
      + 'A bad line is listed with its number and why; the others are taken.'),
    h('div', { class: 'grid' },
      field('import-scope', 'Scope of lines without one', impScope, SCOPE_HELP + '; needed unless the file has a scope column'),
      field('import-reason', 'Reason of lines without one (optional)', impReason)),
    h('div', { class: 'actions' }, impButton));

  document.title = 'Suppressions \u00b7 Herald console';
  replace(main,
    h('div', { class: 'title' }, h('h1', {}, 'Suppressions'), updated),
    h('p', { class: 'muted' }, 'Who is opted out of what. Every change is durable before Herald answers and kept in '
      + 'the consent ledger.'),
    scopeNames,
    section('counts', 'Opted out per scope', counts, h('div', { class: 'actions' }, refresh)),
    canSeePeople(session) ? section('lookup', 'Look up a number', lookupForm, lookup) : null,
    steer ? section('optout', 'Add an opt-out', optForm, optResult) : null,
    steer ? section('import', 'Import a CSV file of opt-outs', impForm, impResult) : null,
    steer ? null : h('p', { class: 'muted', id: 'viewer-note' },
      'A ' + session.role + ' key sees the suppressions and changes nothing.'));

  async function showCounts() {
    try {
      const answer = await get('/v1/suppressions', aborts.signal);
      if (stopped) {
        return;
      }
      const scopes = answer.scopes || [];
      replace(counts, h('div', { class: 'scroll' }, h('table', { class: 'figures', id: 'suppression-counts' },
        h('caption', {}, 'Numbers opted out, per scope'),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Scope'), h('th', { scope: 'col' }, 'Kind'),
          h('th', { scope: 'col', class: 'n' }, 'Opted out'))),
        h('tbody', {}, scopes.map(s => h('tr', { 'data-scope': s.scope },
          h('th', { scope: 'row' }, s.scope), h('td', {}, KINDS[s.kind] || s.kind),
          h('td', { class: 'n', 'data-count': s.scope }, num(s.count))))))),
        scopes.length <= 1 ? h('p', { class: 'muted' }, 'Scopes appear here once a number is opted out of them.') : null);
      replace(scopeNames, h('option', { value: 'global' }),
        scopes.filter(s => s.scope !== 'global').map(s => h('option', { value: s.scope })));
      replace(updated, 'Updated ', now());
    } catch (e) {
      if (!stopped && !quiet(e)) {
        replace(counts, errorBox('The counts could not be read: ' + e.message));
      }
    }
  }

  // ---- look up, and opt back in ----

  async function showLookup(p, n, said) {
    replace(lookup, h('p', { class: 'muted' }, 'Asking Herald\u2026'));
    try {
      const s = await get('/v1/suppressions/' + encodeURIComponent(p), aborts.signal);
      if (stopped || n !== asked) {
        return;
      }
      const scopes = s.scopes || [];
      const history = s.history || [];
      const list = h('ul', { id: 'lookup-scopes', class: 'scopes' }, scopes.map(scope => h('li', { 'data-scope': scope },
        h('span', { class: 'scope' }, scope),
        steer ? [' ', h('button', {
          type: 'button', class: 'small', 'data-scope': scope, 'aria-label': 'Opt back in for ' + scope,
          onclick: event => confirmRemove(s.phone, scope, event.currentTarget),
        }, 'Remove\u2026')] : null)));
      const done = said ? h('p', { class: 'notice', id: 'lookup-done', tabindex: -1 }, said) : null;
      replace(lookup,
        done,
        h('dl', { class: 'facts' },
          h('dt', {}, 'Number'), h('dd', { id: 'lookup-number' }, s.phone),
          h('dt', {}, 'Opted out'), h('dd', { id: 'lookup-state' }, scopes.length ? 'yes, of ' + scopes.length
            + (scopes.length === 1 ? ' scope' : ' scopes') : 'no')),
        scopes.length ? list : null,
        h('div', { id: 'remove-box' }),
        s.complete === false ? h('p', { class: 'notice' },
          'Part of the consent ledger could not be read: this history may miss records.') : null,
        history.length === 0 ? h('p', { class: 'muted' }, 'No consent records for this number.')
          : h('div', { class: 'scroll' }, figures('Consent history, oldest first', HISTORY,
            history.map(r => [time(r.time), r.action, r.scope, r.source, r.channel || '\u2013', r.reason || '\u2013',
              r.campaign || '\u2013']), 'lookup-history', true)));
      if (done) {
        done.focus(); // the Remove button pressed is gone: the focus goes to what it did (announced already)
      }
    } catch (e) {
      if (stopped || n !== asked || quiet(e)) {
        return;
      }
      if (e instanceof ApiError && (e.field === 'phone' || e.status === 404)) {
        replace(lookup);
        text(document.getElementById('lookup-phone-error'), e.status === 404
          ? 'Herald has never seen this number: it is opted out of nothing.' : e.message);
        phone.setAttribute('aria-invalid', 'true');
      } else {
        replace(lookup, errorBox(e));
      }
    }
  }

  function lookUp(said) {
    const p = phone.value.trim();
    text(document.getElementById('lookup-phone-error'), '');
    phone.removeAttribute('aria-invalid');
    if (p === '') {
      text(document.getElementById('lookup-phone-error'), 'Enter a phone number.');
      phone.focus();
      return;
    }
    showLookup(p, ++asked, said);
  }

  lookupForm.addEventListener('submit', event => {
    event.preventDefault();
    lookUp(null);
  });

  function confirmRemove(p, scope, button) {
    const box = document.getElementById('remove-box');
    const reason = input('remove-reason', { type: 'text', maxlength: 500 });
    const problem = h('div', { id: 'remove-error' });
    const keep = () => {
      replace(box);
      button.focus();
    };
    const yes = h('button', { type: 'button', id: 'remove-confirm', class: 'danger' }, 'Yes, opt back in');
    const no = h('button', { type: 'button', id: 'remove-keep', onclick: keep }, 'Keep the opt-out');
    yes.addEventListener('click', async () => {
      yes.disabled = true;
      no.disabled = true;
      replace(problem);
      const q = new URLSearchParams({ scope });
      if (reason.value.trim()) {
        q.set('reason', reason.value.trim());
      }
      try {
        const r = await del('/v1/suppressions/' + encodeURIComponent(p) + '?' + q.toString(), aborts.signal);
        if (stopped) {
          return;
        }
        const said = 'Opted back in for ' + r.optedIn + '.' + (r.scopes && r.scopes.length
          ? ' Still opted out of: ' + r.scopes.join(', ') + '.' : ' Opted out of nothing now.');
        announce(said);
        showCounts();
        showLookup(p, ++asked, said); // the number opted back in, whatever the field holds now
      } catch (e) {
        if (stopped || quiet(e)) {
          return;
        }
        replace(problem, errorBox('Could not opt back in: ' + e.message));
        yes.disabled = false;
        no.disabled = false;
      }
    });
    replace(box, h('div', { class: 'confirm', role: 'group', 'aria-labelledby': 'remove-question' },
      h('p', { id: 'remove-question' }, 'Opt ' + p + ' back in for ' + scope + '? Herald may send them messages of this '
        + 'scope again. The consent ledger keeps both records.'),
      field('remove-reason', 'Why (optional, kept in the consent ledger)', reason),
      h('div', { class: 'actions' }, yes, no), problem));
    no.focus();
  }

  // ---- opt out ----

  function clear(form) {
    for (const el of form.querySelectorAll('.error')) {
      el.textContent = '';
    }
    for (const c of form.querySelectorAll('[aria-invalid]')) {
      c.removeAttribute('aria-invalid');
    }
  }

  /** A refusal beside the field it names, else in the result box. */
  function refused(e, fields, box) {
    const id = e instanceof ApiError && e.field ? fields[e.field] : null;
    if (id) {
      text(document.getElementById(id + '-error'), e.message);
      const control = document.getElementById(id);
      control.setAttribute('aria-invalid', 'true');
      control.focus();
      replace(box);
    } else {
      replace(box, errorBox(e));
    }
  }

  function invalid(id, message) {
    text(document.getElementById(id + '-error'), message);
    const control = document.getElementById(id);
    control.setAttribute('aria-invalid', 'true');
    control.focus();
  }

  optForm.addEventListener('submit', async event => {
    event.preventDefault();
    clear(optForm);
    const list = phones.value.split(/[\s,;]+/).map(p => p.trim()).filter(p => p !== '');
    if (list.length === 0) {
      invalid('optout-phones', 'Enter at least one phone number.');
      return;
    }
    if (optScope.value.trim() === '') {
      invalid('optout-scope', 'Enter a scope: ' + SCOPE_HELP + '.');
      return;
    }
    const body = { phones: list, scope: optScope.value.trim() };
    if (optReason.value.trim()) {
      body.reason = optReason.value.trim();
    }
    optButton.disabled = true;
    replace(optResult, h('p', { class: 'muted' }, 'Asking Herald\u2026'));
    try {
      const r = await post('/v1/suppressions', body, aborts.signal);
      if (stopped) {
        return;
      }
      replace(optResult, outcome('optout', r, 'Entry'));
      announce(num(r.suppressed) + ' newly opted out of ' + body.scope);
      phones.value = '';
      showCounts();
    } catch (e) {
      if (!stopped && !quiet(e)) {
        refused(e, { phones: 'optout-phones', scope: 'optout-scope', reason: 'optout-reason' }, optResult);
      }
    } finally {
      optButton.disabled = false;
    }
  });

  // ---- import ----

  impForm.addEventListener('submit', async event => {
    event.preventDefault();
    clear(impForm);
    const chosen = file.files && file.files[0];
    if (!chosen) {
      invalid('import-file', 'Choose a CSV file.');
      return;
    }
    const q = new URLSearchParams();
    if (impScope.value.trim()) {
      q.set('scope', impScope.value.trim());
    }
    if (impReason.value.trim()) {
      q.set('reason', impReason.value.trim());
    }
    impButton.disabled = true;
    replace(impResult, h('p', { class: 'muted' }, 'Importing ' + chosen.name + '\u2026'));
    try {
      const r = await upload('/v1/suppressions' + (q.toString() ? '?' + q.toString() : ''), 'text/csv', chosen, aborts.signal);
      if (stopped) {
        return;
      }
      replace(impResult, h('p', { id: 'import-file-name' }, 'From ', h('q', {}, chosen.name), ':'),
        outcome('import', r, 'Line'));
      announce('Imported: ' + num(r.suppressed) + ' newly opted out, ' + num(r.rejected) + ' rejected');
      showCounts();
    } catch (e) {
      if (!stopped && !quiet(e)) {
        // no valid line at all, a bad header, no scope: said beside the field it concerns
        refused(e, { scope: 'import-scope', phone: 'import-file' }, impResult);
      }
    } finally {
      impButton.disabled = false;
    }
  });

  showCounts();
  phone.focus();
  return {
    stop() {
      stopped = true;
      aborts.abort();
    },
  };
}
