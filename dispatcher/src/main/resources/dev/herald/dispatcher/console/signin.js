// Sign-in: an API key, checked with GET /v1/me, kept in sessionStorage only.

import { forgetApiKey, get, setApiKey, Unauthorized } from './api.js';
import { h, replace } from './dom.js';

/**
 * @param {HTMLElement} main where the page goes
 * @param {string|null} notice said above the form (why the operator is here)
 * @param {function(object)} done called with the key's {id, role} once it is accepted
 */
export function signInPage(main, notice, done) {
  let stopped = false;
  const input = h('input', {
    id: 'api-key', name: 'api-key', type: 'password', autocomplete: 'off', autocapitalize: 'off',
    spellcheck: 'false', required: true, 'aria-describedby': 'api-key-help signin-error',
  });
  const error = h('p', { id: 'signin-error', class: 'error', role: 'alert' });
  const button = h('button', { type: 'submit', id: 'sign-in' }, 'Sign in');
  const form = h('form', { id: 'signin', class: 'card narrow' },
    h('label', { for: 'api-key' }, 'API key'),
    input,
    h('p', { id: 'api-key-help', class: 'muted' },
      'Kept in this browser tab only and sent to this server\u2019s API; closing the tab forgets it. '
      + 'A viewer key sees everything and changes nothing.'),
    button,
    error);
  form.addEventListener('submit', async event => {
    event.preventDefault();
    const key = input.value.trim();
    error.textContent = '';
    if (key === '') {
      error.textContent = 'Enter an API key.';
      input.focus();
      return;
    }
    button.disabled = true;
    setApiKey(key);
    try {
      const me = await get('/v1/me');
      if (!stopped) {
        done(me);
      }
    } catch (e) {
      forgetApiKey();
      if (stopped) {
        return;
      }
      error.textContent = e instanceof Unauthorized
        ? 'Herald does not know this key (or it was revoked).'
        : 'Herald could not be asked: ' + e.message;
      input.select();
      input.focus();
    } finally {
      button.disabled = false;
    }
  });
  document.title = 'Sign in \u00b7 Herald console';
  replace(main,
    h('h1', {}, 'Sign in'),
    notice ? h('p', { class: 'notice', id: 'signin-notice' }, notice) : null,
    form);
  input.focus();
  return {
    signIn: true,
    stop() {
      stopped = true;
    },
  };
}
