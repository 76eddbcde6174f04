// The console's only way to the server: the existing /v1 API with the operator's key.
// The key lives in sessionStorage only (gone when the tab closes; never in a URL, a cookie or a log).

const KEY = 'herald.apiKey';

/** The key was refused (401): the console goes back to sign-in. */
export class Unauthorized extends Error {
  constructor(message) {
    super(message || 'The API key was refused.');
    this.name = 'Unauthorized';
  }
}

/** Any other refusal: the API's JSON error ({error, message, field}) and the status. */
export class ApiError extends Error {
  constructor(status, code, message, field) {
    super(message || ('HTTP ' + status));
    this.name = 'ApiError';
    this.status = status;
    this.code = code || null;
    this.field = field || null;
  }
}

export function apiKey() {
  return sessionStorage.getItem(KEY);
}

export function setApiKey(key) {
  sessionStorage.setItem(KEY, key);
}

/** @return true if a key of this {role} (GET /v1/me) may change things (steer campaigns, suppressions); the API decides anyway. */
export function canSteer(me) {
  return !!me && (me.role === 'sender' || me.role === 'admin');
}

/** @return true if a key of this {role} may see people: phone numbers, outcomes, consent (an analyst sees reports only). */
export function canSeePeople(me) {
  return !!me && me.role !== 'analyst';
}

export function forgetApiKey() {
  sessionStorage.removeItem(KEY);
}

function headers(accept, contentType) {
  const h = { 'Authorization': 'Bearer ' + (apiKey() || ''), 'Accept': accept };
  if (contentType) {
    h['Content-Type'] = contentType;
  }
  return h;
}

function refused() {
  forgetApiKey();
  window.dispatchEvent(new CustomEvent('herald:unauthorized'));
  return new Unauthorized();
}

async function failure(response) {
  let body = null;
  try {
    body = await response.json();
  } catch (e) {
    // not JSON: the status says enough
  }
  if (body && typeof body === 'object') {
    return new ApiError(response.status, body.error, body.message, body.field);
  }
  return new ApiError(response.status, null, 'HTTP ' + response.status, null);
}

/**
 * Calls the API and answers its JSON.
 * @param {string} method GET, POST, ...
 * @param {string} path e.g. /v1/campaigns
 * @param {object} [body] sent as JSON
 * @param {AbortSignal} [signal]
 */
export async function call(method, path, body, signal) {
  return send(method, path, body === undefined ? null : 'application/json',
    body === undefined ? undefined : JSON.stringify(body), signal);
}

async function send(method, path, contentType, body, signal) {
  const response = await fetch(path, {
    method,
    headers: headers('application/json', contentType),
    body,
    cache: 'no-store',
    credentials: 'omit',
    referrerPolicy: 'no-referrer',
    signal,
  });
  if (response.status === 401) {
    throw refused();
  }
  if (!response.ok) {
    throw await failure(response);
  }
  if (response.status === 204) {
    return null;
  }
  return response.json();
}

export const get = (path, signal) => call('GET', path, undefined, signal);
export const post = (path, body, signal) => call('POST', path, body, signal);
export const del = (path, signal) => call('DELETE', path, undefined, signal);

/**
 * POSTs a body that is not JSON (a file the operator chose: a File is a Blob, sent as it is) and
 * answers the JSON reply.
 * @param {string} contentType e.g. text/csv
 * @param {Blob|string} body
 */
export const upload = (path, contentType, body, signal) => send('POST', path, contentType, body, signal);

/**
 * Reads a Server-Sent Events stream (EventSource cannot send an Authorization header, so this is
 * fetch and a reader). Calls onEvent(type, parsedJson) for each event with data; heartbeats (no data)
 * are skipped. Resolves when the server ends the stream; rejects on a refusal or a broken stream.
 */
export async function stream(path, onEvent, signal) {
  const response = await fetch(path, {
    method: 'GET',
    headers: headers('text/event-stream', null),
    cache: 'no-store',
    credentials: 'omit',
    referrerPolicy: 'no-referrer',
    signal,
  });
  if (response.status === 401) {
    throw refused();
  }
  if (!response.ok) {
    throw await failure(response);
  }
  if (!response.body || !response.body.getReader) {
    throw new ApiError(0, 'no_stream', 'this browser cannot read a stream', null);
  }
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let type = 'message';
  let data = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) {
      return;
    }
    buffer += decoder.decode(value, { stream: true });
    let nl;
    while ((nl = buffer.search(/\r?\n/)) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + (buffer[nl] === '\r' ? 2 : 1));
      if (line === '') {
        if (data.length > 0 && data.join('') !== '') {
          onEvent(type, JSON.parse(data.join('\n')));
        }
        type = 'message';
        data = [];
      } else if (line.startsWith(':')) {
        // a comment
      } else {
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        let value = colon < 0 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) {
          value = value.slice(1);
        }
        if (field === 'event') {
          type = value;
        } else if (field === 'data') {
          data.push(value);
        }
      }
    }
  }
}
