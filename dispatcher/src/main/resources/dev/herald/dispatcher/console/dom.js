// Building the page. Every value from the API goes in as text (a text node or an attribute set
// with setAttribute): nothing here parses HTML, so a campaign named <script> shows as that text.

const SVG_NS = 'http://www.w3.org/2000/svg';

function fill(el, attrs, children) {
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) {
      continue;
    }
    if (name.startsWith('on') && typeof value === 'function') {
      el.addEventListener(name.slice(2), value);
    } else if (value === true) {
      el.setAttribute(name, '');
    } else {
      el.setAttribute(name, String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) {
      continue;
    }
    el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** An HTML element: h('a', {href: '#/x', class: 'y'}, 'text', child, ...). */
export function h(tag, attrs, ...children) {
  return fill(document.createElement(tag), attrs, children);
}

/** An SVG element, as h. */
export function s(tag, attrs, ...children) {
  return fill(document.createElementNS(SVG_NS, tag), attrs, children);
}

/** Replaces el's children. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** Sets el's text if it changed (keeps screen readers from re-reading what did not). */
export function text(el, value) {
  const t = value === undefined || value === null ? '' : String(value);
  if (el.textContent !== t) {
    el.textContent = t;
  }
  return el;
}

/** Says something to screen readers through the page's live region. */
export function announce(message) {
  const region = document.getElementById('announce');
  if (region) {
    region.textContent = '';
    window.setTimeout(() => { region.textContent = message; }, 50);
  }
}

const numbers = new Intl.NumberFormat();
const percents = new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 });
const times = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const longTimes = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'long' });
const clockTimes = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });

/** The operator's time zone, as the browser knows it. */
export const zone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'local time';

export function num(n) {
  return n === undefined || n === null ? '–' : numbers.format(n);
}

export function pct(r) {
  return r === undefined || r === null ? '–' : percents.format(r);
}

/** A <time> of an ISO instant in the operator's zone (the exact instant in its title and datetime). */
export function time(iso) {
  if (!iso) {
    return h('span', { class: 'muted' }, '–');
  }
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) {
    return h('span', {}, String(iso));
  }
  return h('time', { datetime: d.toISOString(), title: longTimes.format(d) }, times.format(d));
}

/** A <time> of now, to the second (when a live view was last updated). */
export function now() {
  const d = new Date();
  return h('time', { datetime: d.toISOString(), title: longTimes.format(d) }, clockTimes.format(d));
}

/** A status badge: the status word, styled by its value (a known set; anything else is plain). */
export function badge(status) {
  const known = ['scheduled', 'running', 'paused', 'completed', 'cancelled', 'failed', 'damaged', 'active', 'archived'];
  const cls = known.includes(status) ? 'badge badge-' + status : 'badge';
  return h('span', { class: cls }, status);
}

/** An error box for a failed call, with its message as text. */
export function errorBox(error) {
  return h('p', { class: 'error', role: 'alert' }, error && error.message ? error.message : String(error));
}

/** A table of figures: the first column heads each row; the others are numbers unless {words}. */
export function figures(caption, head, rows, id, words = false) {
  const cls = i => (i > 0 && !words ? 'n' : null);
  return h('table', { class: 'figures', id },
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, head.map((c, i) => h('th', { scope: 'col', class: cls(i) }, c)))),
    h('tbody', {}, rows.map(r => h('tr', {}, r.map((c, i) => i === 0
      ? h('th', { scope: 'row' }, c) : h('td', { class: cls(i) }, c))))));
}

/** A page section titled {title}, labelled by its heading for screen readers. */
export function section(id, title, ...content) {
  return h('section', { id, 'aria-labelledby': id + '-title' }, h('h2', { id: id + '-title' }, title), content);
}

/** A form field: its label, the control, an optional help line, and where a refusal naming it is shown. */
export function field(id, label, control, help) {
  return h('div', { class: 'field', id: id + '-field' },
    h('label', { for: id }, label), control,
    help ? h('p', { class: 'muted help', id: id + '-help' }, help) : null,
    h('p', { class: 'error', id: id + '-error', role: 'alert' }));
}

/** A text-like input described by its help and error lines ({@link field}). */
export function input(id, attrs) {
  return h('input', Object.assign({ id, name: id, autocomplete: 'off', 'aria-describedby': id + '-help ' + id + '-error' }, attrs));
}
