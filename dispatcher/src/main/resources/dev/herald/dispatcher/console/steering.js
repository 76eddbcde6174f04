// The steering buttons of a campaign's or a journey's page: the actions its status allows (pause,
// resume, and one that cannot be undone, which asks first), drawn again only when they change, so
// the keyboard focus stays put; after an action the focus moves to the button that took the
// pressed one's place (Resume after Pause), else to the page's heading.

import { h, replace } from './dom.js';

/**
 * @param {HTMLElement} actions where the buttons go
 * @param {HTMLElement} heading where the focus goes when no button is left
 * @param {object} options {list: [[action, label, [statuses it may be done from]]],
 *   danger: {action, question, yes, no} (the action that asks first), onSteer(action)}
 * @return {{show(status, may): void, redraw(): void, busy(): void, steered(): void}}
 */
export function steeringBar(actions, heading, options) {
  let status = null;
  let may = false;
  let focusNext = false; // an action was done: the next buttons drawn take the focus
  const danger = options.danger;

  /** Draws the buttons {status} allows, if {may} steer and they differ from those shown. */
  function show(s, mayNow) {
    status = s;
    may = mayNow;
    if (!may || !status) {
      replace(actions);
      return;
    }
    const allowed = options.list.filter(([, , from]) => from.includes(status));
    const key = allowed.map(a => a[0]).join();
    if (actions.getAttribute('data-shown') === key) {
      return; // the same buttons (or the question, while its action is still possible)
    }
    const focused = document.activeElement && actions.contains(document.activeElement);
    actions.setAttribute('data-shown', key);
    replace(actions, allowed.map(([action, label]) => h('button', {
      type: 'button', id: action, class: action === danger.action ? 'danger' : null,
      onclick: () => (action === danger.action ? confirm() : options.onSteer(action)),
    }, label)));
    if (focused || focusNext) {
      focusNext = false;
      // the button pressed is gone: its successor takes the focus, or the heading
      (actions.firstChild || heading).focus();
    }
  }

  function redraw() {
    actions.removeAttribute('data-shown');
    show(status, may);
  }

  function confirm() {
    const yes = h('button', { type: 'button', id: danger.action + '-confirm', class: 'danger',
      onclick: () => options.onSteer(danger.action) }, danger.yes);
    const no = h('button', { type: 'button', id: danger.action + '-keep', onclick: () => {
      redraw();
      const b = document.getElementById(danger.action);
      if (b) {
        b.focus();
      }
    } }, danger.no);
    replace(actions, h('div', { class: 'confirm', role: 'group', 'aria-labelledby': danger.action + '-question' },
      h('p', { id: danger.action + '-question' }, danger.question),
      yes, ' ', no));
    no.focus();
  }

  return {
    show,
    redraw,
    /** Disables every button while an action is on its way. */
    busy() {
      for (const b of actions.querySelectorAll('button')) {
        b.disabled = true;
      }
    },
    /** An action was done: the buttons drawn next take the focus. */
    steered() {
      focusNext = true;
    },
  };
}
