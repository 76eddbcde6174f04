// New campaign (sender and admin keys): the body of POST /v1/campaigns from a form, the text's
// live length and SMS parts (counted as Herald's render code counts them, sms-parts.js), a preview
// of what the campaign would decide now (POST /v1/campaigns/preview: the same counts, its footer and
// compliance warnings), then Send, which creates it and opens its page. A refusal naming a field is
// shown next to that field, as text.

import { ApiError, get, post, Unauthorized } from './api.js';
import { errorBox, figures, h, num, replace, text, time } from './dom.js';
import { smsParts } from './sms-parts.js';

/** Form fields an API error's field is shown beside ('schedule.at' beside schedule, ...). */
const FIELDS = ['name', 'channel', 'category', 'sender', 'segment', 'expression', 'text', 'schedule', 'trackLinks'];
const PREVIEW_COUNTS = [
  ['sendNow', 'Send now'], ['suppressed', 'Suppressed (opted out)'], ['deferred', 'Deferred'],
  ['capped', 'Capped (frequency)'], ['expired', 'Expired'],
];

function field(id, label, control, help) {
  return h('div', { class: 'field', id: id + '-field' },
    h('label', { for: id }, label), control,
    help ? h('p', { class: 'muted help', id: id + '-help' }, help) : null,
    h('p', { class: 'error', id: id + '-error', role: 'alert' }));
}

function input(id, attrs) {
  return h('input', Object.assign({ id, name: id, autocomplete: 'off', 'aria-describedby': id + '-help ' + id + '-error' }, attrs));
}

export function newCampaignPage(main, session) {
  let stopped = false;
  const aborts = new AbortController();

  const name = input('name', { type: 'text', required: true, maxlength: 200 });
  const channel = h('select', { id: 'channel', name: 'channel', 'aria-describedby': 'channel-error' },
    h('option', { value: 'sms' }, 'SMS'));
  const category = input('category', { type: 'text', required: true, value: 'marketing' });
  const sender = input('sender', { type: 'text', required: true });
  const bySegment = h('input', { type: 'radio', id: 'audience-segment', name: 'audience', value: 'segment', checked: true });
  const byExpression = h('input', { type: 'radio', id: 'audience-expression', name: 'audience', value: 'expression' });
  const segments = h('datalist', { id: 'segment-names' });
  const segment = input('segment', { type: 'text', list: 'segment-names' });
  const expression = input('expression', { type: 'text', placeholder: 'vip & !bought_30d' });
  const message = h('textarea', {
    id: 'text', name: 'text', rows: 5, required: true, 'aria-describedby': 'text-count text-help text-error',
  });
  const count = h('p', { id: 'text-count', class: 'count', 'aria-live': 'polite' });
  const sentCount = h('p', { id: 'text-count-sent', class: 'count muted' });
  let footer = null; // the footer the last preview answered: the sent text's parts count it too
  const schedule = input('schedule', { type: 'datetime-local' });
  const trackLinks = h('input', { type: 'checkbox', id: 'trackLinks', name: 'trackLinks' });
  const formError = h('div', { id: 'form-error' });
  const preview = h('div', { id: 'preview-body', 'aria-live': 'polite' });
  const previewButton = h('button', { type: 'button', id: 'preview' }, 'Preview');
  const sendButton = h('button', { type: 'submit', id: 'send' }, 'Send');

  const segmentField = field('segment', 'Segment', h('div', {}, segment, segments));
  const expressionField = field('expression', 'Expression', expression,
    'Segment algebra: & (and), | (or), - (minus), ! (not), parentheses.');
  expressionField.hidden = true;

  const form = h('form', { id: 'new-campaign', class: 'card form', novalidate: true },
    field('name', 'Name', name),
    h('div', { class: 'grid' },
      field('channel', 'Channel', channel),
      field('category', 'Category', category, 'e.g. marketing, promotions, transactional'),
      field('sender', 'Sender', sender, 'A sender profile of herald.senders, e.g. acme')),
    h('fieldset', {},
      h('legend', {}, 'Audience'),
      h('div', { class: 'choices' },
        h('label', { for: 'audience-segment', class: 'choice' }, bySegment, ' A segment'),
        h('label', { for: 'audience-expression', class: 'choice' }, byExpression, ' An expression of segments')),
      segmentField, expressionField),
    field('text', 'Text', message, 'Placeholders such as {{first_name}}; the sender\u2019s footer is added when sending.'),
    count, sentCount,
    h('div', { class: 'grid' },
      field('schedule', 'Send at (optional, your time zone)', schedule, 'Empty: now.'),
      h('div', { class: 'field' }, h('label', { for: 'trackLinks', class: 'choice' }, trackLinks, ' Track links'),
        h('p', { class: 'error', id: 'trackLinks-error', role: 'alert' }))),
    h('div', { class: 'actions' }, previewButton, sendButton),
    formError);

  document.title = 'New campaign \u00b7 Herald console';
  replace(main,
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/campaigns' }, 'Campaigns'), ' / '),
    h('h1', {}, 'New campaign'),
    form,
    h('section', { id: 'preview-section', 'aria-labelledby': 'preview-title' },
      h('h2', { id: 'preview-title' }, 'Preview'),
      preview));
  replace(preview, h('p', { class: 'muted' }, 'Preview asks Herald what this campaign would decide now, without sending.'));

  function audienceChanged() {
    segmentField.hidden = !bySegment.checked;
    expressionField.hidden = bySegment.checked;
  }
  bySegment.addEventListener('change', audienceChanged);
  byExpression.addEventListener('change', audienceChanged);

  function describe(r, length) {
    const per = r.parts === 1 ? r.encoding.single : r.encoding.part;
    return length + ' characters \u00b7 ' + r.encoding.name + ' (' + r.units + ' ' + r.encoding.unit
      + ') \u00b7 ' + r.parts + (r.parts === 1 ? ' SMS part' : ' SMS parts') + ' of up to ' + per
      + (r.firstNonGsm ? ' \u00b7 UCS-2 because of \u201c' + r.firstNonGsm + '\u201d' : '');
  }

  function countText() {
    const r = smsParts(message.value);
    count.setAttribute('data-encoding', r.encoding.name);
    count.setAttribute('data-units', String(r.units));
    count.setAttribute('data-parts', String(r.parts));
    text(count, describe(r, message.value.length));
    if (footer) {
      // as render/Footer.java: appended after a line feed unless the text has it (case and white space ignored)
      const key = t => t.replace(/\s+/g, '').toLowerCase();
      const sent = key(message.value).includes(key(footer)) ? message.value : message.value + '\n' + footer;
      const f = smsParts(sent);
      sentCount.setAttribute('data-parts', String(f.parts));
      text(sentCount, 'With the footer: ' + describe(f, sent.length) + ' (placeholders not filled in)');
    } else {
      sentCount.removeAttribute('data-parts');
      text(sentCount, '');
    }
  }
  message.addEventListener('input', countText);
  countText();

  function body() {
    const b = {
      name: name.value.trim(),
      channel: channel.value,
      category: category.value.trim(),
      sender: sender.value.trim(),
      text: message.value,
    };
    if (bySegment.checked) {
      b.segment = segment.value.trim();
    } else {
      b.expression = expression.value.trim();
    }
    if (schedule.value) {
      const at = new Date(schedule.value);
      b.schedule = { at: Number.isNaN(at.getTime()) ? schedule.value : at.toISOString() };
    }
    if (trackLinks.checked) {
      b.trackLinks = true;
    }
    return b;
  }

  function clearErrors() {
    for (const f of FIELDS) {
      const el = document.getElementById(f + '-error');
      if (el) {
        el.textContent = '';
      }
    }
    for (const c of form.querySelectorAll('[aria-invalid]')) {
      c.removeAttribute('aria-invalid');
    }
    replace(formError);
  }

  /** Shows a refusal beside the field it names ('schedule.at' beside schedule), else under the form. */
  function showError(e) {
    const f = e instanceof ApiError && e.field ? e.field.split(/[.[]/)[0] : null;
    const el = f && FIELDS.includes(f) ? document.getElementById(f + '-error') : null;
    if (el && !el.closest('[hidden]')) {
      el.textContent = e.message;
      const control = document.getElementById(f);
      if (control) {
        control.setAttribute('aria-invalid', 'true');
        control.focus();
      }
    } else {
      replace(formError, errorBox(e));
    }
  }

  function busy(on) {
    previewButton.disabled = on;
    sendButton.disabled = on;
  }

  previewButton.addEventListener('click', async () => {
    clearErrors();
    busy(true);
    replace(preview, h('p', { class: 'muted' }, 'Asking Herald\u2026'));
    try {
      const p = await post('/v1/campaigns/preview', body(), aborts.signal);
      if (stopped) {
        return;
      }
      footer = p.footer || null;
      countText();
      const k = p.counts || {};
      const outcomes = Object.entries(p.outcomes || {}).sort((a, b) => a[0].localeCompare(b[0]));
      const warnings = p.warnings || [];
      replace(preview,
        h('p', { id: 'preview-total' }, 'Of ', h('strong', { id: 'preview-total-n' }, num(p.total)),
          ' recipients, decided for ', time(p.at), ':'),
        figures('What the campaign would decide', ['Outcome', 'Recipients'],
          PREVIEW_COUNTS.map(([key, label]) => [label, h('span', { 'data-count': key }, num(k[key]))]), 'preview-counts'),
        outcomes.length ? figures('In detail', ['Outcome', 'Recipients'],
          outcomes.map(([o, n]) => [o, num(n)]), 'preview-outcomes') : null,
        p.footer ? h('p', { id: 'preview-footer' }, 'Footer: ', h('q', {}, p.footer)) : null,
        warnings.length ? h('ul', { id: 'preview-warnings', class: 'warnings' }, warnings.map(w =>
          h('li', { class: w.blocking ? 'error' : 'notice', 'data-code': w.code },
            (w.blocking ? 'Would be refused: ' : 'Warning: ') + (w.message || w.code)))) : null);
    } catch (e) {
      if (stopped || e instanceof Unauthorized || e.name === 'AbortError') {
        return;
      }
      replace(preview, h('p', { class: 'muted' }, 'No preview: the request was refused.'));
      showError(e);
    } finally {
      busy(false);
    }
  });

  form.addEventListener('submit', async event => {
    event.preventDefault();
    clearErrors();
    busy(true);
    try {
      const c = await post('/v1/campaigns', body(), aborts.signal);
      if (!stopped) {
        location.hash = '#/campaigns/' + encodeURIComponent(c.id);
      }
    } catch (e) {
      if (stopped || e instanceof Unauthorized || e.name === 'AbortError') {
        return;
      }
      showError(e);
    } finally {
      busy(false);
    }
  });

  get('/v1/segments', aborts.signal).then(list => {
    if (stopped || !Array.isArray(list)) {
      return;
    }
    replace(segments, list.filter(s => s && s.name && s.status !== 'damaged')
      .map(s => h('option', { value: s.name }, s.name + (s.size !== undefined ? ' (' + num(s.size) + ')' : ''))));
  }).catch(() => { /* the names are a convenience; typing one works too */ });

  name.focus();
  return {
    stop() {
      stopped = true;
      aborts.abort();
    },
  };
}
