// The console's shell: sign-in state, the hash router, the header. Pages are modules that render
// into <main> and answer {stop()} so that leaving a page ends its streams and timers.

import { apiKey, canSeePeople, canSteer, forgetApiKey, get, Unauthorized } from './api.js';
import { errorBox, h, replace, text, zone } from './dom.js';
import { signInPage } from './signin.js';
import { campaignsPage } from './campaigns.js';
import { campaignPage } from './campaign.js';
import { newCampaignPage } from './new-campaign.js';
import { recipientPage } from './recipient.js';
import { settingsPage } from './settings.js';
import { auditPage } from './audit.js';
import { suppressionsPage } from './suppressions.js';
import { journeysPage } from './journeys.js';
import { journeyPage } from './journey.js';

const main = document.getElementById('main');
let session = null; // the key's {id, role, ...} from GET /v1/me
let current = null; // the page shown: {stop(), signIn?}
let notice = null; // said on the sign-in page once (e.g. why the operator was signed out)
let rendered = 0; // navigations so far: focus moves to the new page's heading after the first

/** The nav link of the page shown: the one whose hash the address starts with (the longest). */
function currentLink(links) {
  const hash = location.hash === '' ? '#/campaigns' : location.hash.split('?')[0];
  let best = null;
  for (const a of links) {
    const href = a.getAttribute('href');
    if ((hash === href || hash.startsWith(href + '/')) && (!best || href.length > best.getAttribute('href').length)) {
      best = a;
    }
  }
  return best;
}

function header(signedIn) {
  document.getElementById('nav').hidden = !signedIn;
  document.getElementById('who').hidden = !signedIn;
  text(document.getElementById('who-role'), signedIn ? 'Key ' + session.id + ' \u00b7 ' + session.role : '');
  // a viewer key never sees the link to a page that changes things (the API would refuse it anyway)
  document.getElementById('nav-new').hidden = !(signedIn && canSteer(session));
  // an analyst reads reports only: no page of one person's numbers (the API refuses them anyway)
  document.getElementById('nav-recipient').hidden = !(signedIn && canSeePeople(session));
  document.getElementById('nav-audit').hidden = !(signedIn && session.role === 'admin');
  const links = [...document.querySelectorAll('#nav a')].filter(a => !a.hidden);
  const here = currentLink(links);
  for (const a of links) {
    if (a === here) {
      a.setAttribute('aria-current', 'page');
    } else {
      a.removeAttribute('aria-current');
    }
  }
}

function focusHeading() {
  if (rendered++ === 0) {
    return;
  }
  const heading = main.querySelector('h1');
  if (heading) {
    heading.setAttribute('tabindex', '-1');
    heading.focus();
  }
}

async function route() {
  const hash = location.hash;
  if (hash && !hash.startsWith('#/')) {
    return; // an anchor in the page, not a page
  }
  if (current) {
    current.stop();
    current = null;
  }
  if (!apiKey()) {
    session = null;
    header(false);
    const said = notice;
    notice = null;
    current = signInPage(main, said, me => {
      session = me;
      route();
    });
    focusHeading();
    return;
  }
  if (!session) {
    try {
      session = await get('/v1/me');
    } catch (e) {
      if (!(e instanceof Unauthorized)) {
        replace(main, h('h1', {}, 'The console cannot reach Herald'), errorBox(e),
          h('p', {}, h('button', { type: 'button', onclick: () => route() }, 'Try again')));
      }
      return; // a refused key: the unauthorized handler shows sign-in
    }
  }
  header(true);
  const [path, query] = (hash.slice(1) || '/campaigns').split('?');
  const params = new URLSearchParams(query || '');
  const one = /^\/campaigns\/([^/]+)$/.exec(path);
  if (path === '/campaigns' || path === '/') {
    current = campaignsPage(main, session, params);
  } else if (path === '/campaigns/new') {
    if (canSteer(session)) {
      current = newCampaignPage(main, session);
    } else {
      replace(main, h('h1', {}, 'New campaign'),
        h('p', {}, 'A ' + session.role + ' key cannot create campaigns. ', h('a', { href: '#/campaigns' }, 'Go to the campaigns.')));
      current = { stop() {} };
    }
  } else if (path === '/journeys') {
    current = journeysPage(main, session);
  } else if (/^\/journeys\/[^/]+$/.test(path)) {
    current = journeyPage(main, decodeURIComponent(path.slice('/journeys/'.length)), session);
  } else if (path === '/recipient') {
    if (canSeePeople(session)) {
      current = recipientPage(main, session, params);
    } else {
      replace(main, h('h1', {}, 'Recipient'),
        h('p', {}, 'An ' + session.role + ' key reads reports only, never a person\u2019s number or messages. ',
          h('a', { href: '#/campaigns' }, 'Go to the campaigns.')));
      current = { stop() {} };
    }
  } else if (path === '/suppressions') {
    current = suppressionsPage(main, session);
  } else if (path === '/settings') {
    current = settingsPage(main);
  } else if (path === '/audit') {
    if (session.role === 'admin') {
      current = auditPage(main);
    } else {
      replace(main, h('h1', {}, 'Audit'),
        h('p', {}, 'The audit log is for admin keys; this is a ' + session.role + ' key. ',
          h('a', { href: '#/campaigns' }, 'Go to the campaigns.')));
      current = { stop() {} };
    }
  } else if (one) {
    current = campaignPage(main, decodeURIComponent(one[1]), session);
  } else {
    replace(main, h('h1', {}, 'No such page'),
      h('p', {}, 'The console has no page here. ', h('a', { href: '#/campaigns' }, 'Go to the campaigns.')));
    current = { stop() {} };
  }
  focusHeading();
}

window.addEventListener('hashchange', route);
window.addEventListener('herald:unauthorized', () => {
  session = null;
  if (current && current.signIn) {
    return; // the sign-in page says it itself
  }
  notice = 'Herald refused the key (revoked, or mistyped). Sign in again.';
  route();
});
document.getElementById('sign-out').addEventListener('click', () => {
  forgetApiKey();
  session = null;
  notice = 'Signed out. The key is forgotten by this tab.';
  if (location.hash.startsWith('#/campaigns/')) {
    location.hash = '#/campaigns'; // the hashchange routes
  } else {
    route();
  }
});
document.querySelector('.skip').addEventListener('click', event => {
  event.preventDefault(); // the hash is the router's: move the focus without changing it
  main.focus();
});
text(document.getElementById('zone'), zone);
route();
