// New campaign (sender and admin keys): the body of POST /v1/campaigns from a form, the text's
// live length and SMS parts (counted as Herald's render code counts them, sms-parts.js), or 2-8
// variants with an optional A/B test on a sample; a send time (an instant in the operator's zone,
// or a local time in each recipient's zone); a preview of what the campaign would decide now
// (POST /v1/campaigns/preview: the same counts, the test's sample and held, its footer and
// compliance warnings), then Send, which creates it and opens its page. A refusal naming a field
// ('variants[1].text', 'test.wait') is shown next to that field, as text.

import { ApiError, get, post, Unauthorized } from './api.js';
import { errorBox, field, figures, h, input, num, replace, text, time, zone } from './dom.js';
import { smsParts } from './sms-parts.js';

const PREVIEW_COUNTS = [
  ['sendNow', 'Send now'], ['suppressed', 'Suppressed (opted out)'], ['deferred', 'Deferred'],
  ['capped', 'Capped (frequency)'], ['expired', 'Expired'], ['held', 'Held for the A/B test\u2019s winner'],
];
const MAX_VARIANTS = 8;
const METRICS = [['human-click', 'Clicks by people'], ['conversion', 'Conversions'], ['delivery', 'Delivery receipts']];
const NO_WINNER = [['send-best', 'Send the best anyway'], ['send-first', 'Send the first variant'], ['stop', 'Send nothing more']];

/**
 * The id of the control an API error's field names, as this form numbers them: 'variants[1].text'
 * is variants-1-text, 'test.wait' test-wait; a part it has no control for falls back to its parent
 * ('schedule.at' to schedule). Null when the form has no such control.
 */
function controlOf(field) {
  let id = field.replace(/\[(\d+)\]/g, '-$1').replace(/\./g, '-');
  while (id) {
    if (document.getElementById(id + '-error')) {
      return id;
    }
    const cut = id.lastIndexOf('-');
    id = cut > 0 ? id.slice(0, cut) : '';
  }
  return null;
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
  const localTime = input('schedule-localTime', { type: 'time' });
  const oneText = h('input', { type: 'radio', id: 'message-one', name: 'message', value: 'one', checked: true });
  const manyTexts = h('input', { type: 'radio', id: 'message-variants', name: 'message', value: 'variants' });
  const variantList = h('div', { id: 'variants-list' });
  const addVariant = h('button', { type: 'button', id: 'add-variant' }, 'Add a variant');
  const testOn = h('input', { type: 'checkbox', id: 'test-on', name: 'test-on' });
  const sample = input('test-sample', { type: 'number', min: 1, max: 50, step: 'any', value: 10 });
  const metric = h('select', { id: 'test-metric', name: 'test-metric', 'aria-describedby': 'test-metric-help test-metric-error' },
    METRICS.map(([v, label]) => h('option', { value: v }, label)));
  const waitFor = input('test-wait', { type: 'number', min: 1, step: 1, value: 3 });
  const waitUnit = h('select', { id: 'test-wait-unit', name: 'test-wait-unit', 'aria-label': 'Unit of the wait' },
    h('option', { value: 'M' }, 'minutes'), h('option', { value: 'H', selected: true }, 'hours'), h('option', { value: 'D' }, 'days'));
  const minPer = input('test-minPerVariant', { type: 'number', min: 1, step: 1, value: 1000 });
  const noWinner = h('select', { id: 'test-noWinner', name: 'test-noWinner', 'aria-describedby': 'test-noWinner-help test-noWinner-error' },
    NO_WINNER.map(([v, label]) => h('option', { value: v }, label)));
  const trackLinks = h('input', { type: 'checkbox', id: 'trackLinks', name: 'trackLinks' });
  const formError = h('div', { id: 'form-error' });
  const preview = h('div', { id: 'preview-body', 'aria-live': 'polite' });
  const previewButton = h('button', { type: 'button', id: 'preview' }, 'Preview');
  const sendButton = h('button', { type: 'submit', id: 'send' }, 'Send');

  const segmentField = field('segment', 'Segment', h('div', {}, segment, segments));
  const expressionField = field('expression', 'Expression', expression,
    'Segment algebra: & (and), | (or), - (minus), ! (not), parentheses.');
  expressionField.hidden = true;
  const textField = field('text', 'Text', message, 'Placeholders such as {{first_name}}; the sender\u2019s footer is added when sending.');
  const testSettings = h('div', { id: 'test-settings', class: 'grid' },
    field('test-sample', 'Sample, % of the audience', sample, 'Sent first, in equal shares; at most 50 %.'),
    field('test-metric', 'The winner has the most', metric),
    field('test-wait', 'Then wait', h('div', { class: 'pair' }, waitFor, waitUnit), 'From 10 s to 30 days after the sample is sent.'),
    field('test-minPerVariant', 'At least, per variant', minPer, 'Recipients each variant must reach, else the sample is too small.'),
    field('test-noWinner', 'Without a significant winner', noWinner));
  testSettings.hidden = true;
  const variantsField = h('div', { id: 'variants-field' },
    variantList,
    h('p', { class: 'error', id: 'variants-error', role: 'alert' }),
    h('div', { class: 'actions' }, addVariant),
    h('fieldset', {},
      h('legend', {}, 'A/B test'),
      h('label', { for: 'test-on', class: 'choice' }, testOn, ' Send a sample first; the rest get the winner'),
      h('p', { class: 'error', id: 'test-error', role: 'alert' }),
      testSettings));
  variantsField.hidden = true;

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
    h('fieldset', {},
      h('legend', {}, 'Message'),
      h('div', { class: 'choices' },
        h('label', { for: 'message-one', class: 'choice' }, oneText, ' One text'),
        h('label', { for: 'message-variants', class: 'choice' }, manyTexts, ' Variants (2\u20138)')),
      h('div', { id: 'one-text' }, textField, count, sentCount),
      variantsField),
    h('div', { class: 'grid' },
      field('schedule', 'Send at (optional, your time zone: ' + zone + ')', schedule, 'Empty: now.'),
      field('schedule-localTime', 'Or at a local time (each recipient\u2019s zone)', localTime,
        'e.g. 10:00: each recipient gets it at 10:00 where they are.'),
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

  /** One variant's fields: its name, text (with its live SMS parts), and optionally sender and local time. */
  function variantRow() {
    const row = h('fieldset', { class: 'variant' });
    const nameInput = h('input', { type: 'text', class: 'variant-name', maxlength: 32, autocomplete: 'off' });
    const textInput = h('textarea', { class: 'variant-text', rows: 3 });
    const senderInput = h('input', { type: 'text', class: 'variant-sender', autocomplete: 'off' });
    const timeInput = h('input', { type: 'time', class: 'variant-localTime' });
    const parts = h('p', { class: 'count variant-count', 'aria-live': 'polite' });
    const remove = h('button', { type: 'button', class: 'remove-variant' }, 'Remove');
    textInput.addEventListener('input', () => partsText(textInput, parts));
    remove.addEventListener('click', () => {
      const at = [...variantList.children].indexOf(row);
      row.remove();
      numberVariants();
      const next = variantList.children[Math.min(at, variantList.children.length - 1)];
      (next ? next.querySelector('textarea') : addVariant).focus();
    });
    row.append(h('legend', {}), h('div', { class: 'grid' },
      h('div', { class: 'field' }, h('label', {}, 'Name'), nameInput, h('p', { class: 'error', role: 'alert' })),
      h('div', { class: 'field' }, h('label', {}, 'Sender (optional)'), senderInput, h('p', { class: 'error', role: 'alert' })),
      h('div', { class: 'field' }, h('label', {}, 'Local send time (optional)'), timeInput,
        h('p', { class: 'error', role: 'alert' }))),
    h('div', { class: 'field' }, h('label', {}, 'Text'), textInput, h('p', { class: 'error', role: 'alert' })),
    parts, h('div', { class: 'actions' }, remove));
    partsText(textInput, parts);
    return row;
  }

  /** Numbers the variants' controls in order (ids variants-<i>-text, ...), so a refusal finds its field. */
  function numberVariants() {
    [...variantList.children].forEach((row, i) => {
      const letter = String.fromCharCode(65 + i);
      text(row.querySelector('legend'), 'Variant ' + (i + 1));
      for (const f of ['name', 'text', 'sender', 'localTime']) {
        const control = row.querySelector('.variant-' + f);
        const id = 'variants-' + i + '-' + f;
        control.id = id;
        control.name = id;
        control.setAttribute('aria-describedby', id + '-error');
        control.closest('.field').querySelector('label').setAttribute('for', id);
        control.closest('.field').querySelector('.error').id = id + '-error';
        if (f === 'name') {
          control.placeholder = letter;
        }
      }
      row.querySelector('.variant-count').id = 'variants-' + i + '-count';
      row.querySelector('.remove-variant').setAttribute('aria-label', 'Remove variant ' + (i + 1));
      row.querySelector('.remove-variant').hidden = variantList.children.length <= 2;
    });
    addVariant.hidden = variantList.children.length >= MAX_VARIANTS;
  }

  function messageChanged() {
    const many = manyTexts.checked;
    document.getElementById('one-text').hidden = many;
    variantsField.hidden = !many;
    if (many && variantList.children.length === 0) {
      variantList.append(variantRow(), variantRow());
      if (message.value) {
        variantList.querySelector('textarea').value = message.value; // the text written so far is variant 1
        variantList.querySelector('textarea').dispatchEvent(new Event('input'));
      }
      numberVariants();
    }
  }
  oneText.addEventListener('change', messageChanged);
  manyTexts.addEventListener('change', messageChanged);
  addVariant.addEventListener('click', () => {
    variantList.append(variantRow());
    numberVariants();
    variantList.lastChild.querySelector('textarea').focus();
  });
  testOn.addEventListener('change', () => {
    testSettings.hidden = !testOn.checked;
  });

  function describe(r, length) {
    const per = r.parts === 1 ? r.encoding.single : r.encoding.part;
    return length + ' characters \u00b7 ' + r.encoding.name + ' (' + r.units + ' ' + r.encoding.unit
      + ') \u00b7 ' + r.parts + (r.parts === 1 ? ' SMS part' : ' SMS parts') + ' of up to ' + per
      + (r.firstNonGsm ? ' \u00b7 UCS-2 because of \u201c' + r.firstNonGsm + '\u201d' : '');
  }

  function partsText(textInput, out) {
    const r = smsParts(textInput.value);
    out.setAttribute('data-parts', String(r.parts));
    text(out, describe(r, textInput.value.length));
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
    };
    if (manyTexts.checked) {
      b.variants = [...variantList.children].map(row => {
        const v = { text: row.querySelector('.variant-text').value };
        for (const f of ['name', 'sender', 'localTime']) {
          const value = row.querySelector('.variant-' + f).value.trim();
          if (value) {
            v[f] = value;
          }
        }
        return v;
      });
      if (testOn.checked) {
        const share = Number(sample.value);
        b.test = {
          sample: sample.value === '' || Number.isNaN(share) ? null : share / 100,
          metric: metric.value,
          wait: 'P' + (waitUnit.value === 'D' ? '' : 'T') + waitFor.value.trim() + waitUnit.value,
          noWinner: noWinner.value,
        };
        if (minPer.value.trim()) {
          b.test.minPerVariant = Number(minPer.value);
        }
      }
    } else {
      b.text = message.value;
    }
    if (bySegment.checked) {
      b.segment = segment.value.trim();
    } else {
      b.expression = expression.value.trim();
    }
    if (schedule.value || localTime.value) {
      b.schedule = {};
      if (schedule.value) {
        const at = new Date(schedule.value);
        b.schedule.at = Number.isNaN(at.getTime()) ? schedule.value : at.toISOString();
      }
      if (localTime.value) {
        b.schedule.localTime = localTime.value;
      }
    }
    if (trackLinks.checked) {
      b.trackLinks = true;
    }
    return b;
  }

  function clearErrors() {
    for (const el of form.querySelectorAll('.error')) {
      el.textContent = '';
    }
    for (const c of form.querySelectorAll('[aria-invalid]')) {
      c.removeAttribute('aria-invalid');
    }
    replace(formError);
  }

  /** Shows a refusal beside the field it names ('schedule.at' beside schedule), else under the form. */
  function showError(e) {
    const f = e instanceof ApiError && e.field ? controlOf(e.field) : null;
    const el = f ? document.getElementById(f + '-error') : null;
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
          PREVIEW_COUNTS.filter(([key]) => key !== 'held' || k.held !== undefined)
            .map(([key, label]) => [label, h('span', { 'data-count': key }, num(k[key]))]), 'preview-counts'),
        p.test ? [
          figures('The A/B test\u2019s sample, sent first', ['Variant', 'Recipients'],
            Object.entries(p.test.sample || {}).map(([v, n]) => [v, h('span', { 'data-variant': v }, num(n))]), 'preview-sample'),
          h('p', { id: 'preview-test' }, num(p.test.held), ' held for the winner; the decision is due ', time(p.test.decideAt),
            ' (if the sample were sent now).')] : null,
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
