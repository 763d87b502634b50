// The PBX web console: plain ES modules, no framework and no build step. The console is a few
// views over a JSON API and one WebSocket; a framework would add a bundler and a dependency tree
// to ship for what `el()` and a re-render per event do here. Everything is served by the PBX.
import { $, api, el, setUnauthorized } from './dom.js';
import { viewLadder } from './ladder.js';
import { state } from './state.js';
import { viewSystem } from './views-system.js';
import { drawCalls, viewCalls, viewRecords, viewStations, viewStatus } from './views-admin.js';
import { clickCallEvent, drawContacts, viewContacts } from './views-book.js';
import { drawMessages, viewChat, viewHistory, viewMe } from './views-user.js';
import { onGroupEvent } from './views-groups.js';
import { viewVoicemail } from './views-voicemail.js';
import { viewPlan } from './views-plan.js';
import { viewTrunks } from './views-trunks.js';
import { viewBilling } from './views-billing.js';
import { viewChatGroups } from './views-chat-admin.js';

// ---------------------------------------------------------------------------------------------
// Session and navigation.

const STATION_TABS = [
  ['contacts', 'Contacts'],
  ['history', 'History'],
  ['chat', 'Chat'],
  ['voicemail', 'Voice mail'],
  ['me', 'My status'],
];
const ADMIN_TABS = [
  ['status', 'Phone status'],
  ['calls', 'Live calls'],
  ['stations', 'Stations'],
  ['records', 'Call records'],
  ['system', 'System'],
  ['contacts', 'Contacts'],
  ['plan', 'Codes & groups'],
  ['trunks', 'Trunks'],
  ['billing', 'Billing'],
  ['groups', 'Chat groups'],
];

function showLogin() {
  state.session = null;
  state.socket?.close();
  $('login-view').hidden = false;
  $('view').replaceChildren();
  $('tabs').replaceChildren();
  $('who').textContent = '';
  $('logout').hidden = true;
}

async function start() {
  $('login-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    $('login-error').textContent = '';
    try {
      await api('POST', '/api/login', {
        user: $('login-user').value.trim(),
        password: $('login-password').value,
      });
      $('login-password').value = '';
      await enter();
    } catch (err) {
      $('login-error').textContent = err.message;
    }
  });
  $('logout').addEventListener('click', async () => {
    await api('POST', '/api/logout').catch(() => undefined);
    showLogin();
  });
  window.addEventListener('hashchange', () => void render());
  try {
    await enter();
  } catch {
    showLogin();
  }
}

async function enter() {
  state.session = await api('GET', '/api/session');
  $('login-view').hidden = true;
  $('logout').hidden = false;
  $('who').textContent =
    state.session.role === 'admin' ? 'Administrator' : `Station ${state.session.user}`;
  const tabs = state.session.role === 'admin' ? ADMIN_TABS : STATION_TABS;
  $('tabs').replaceChildren(
    ...tabs.map(([id, label]) => el('a', { href: `#${id}`, id: `tab-${id}` }, label)),
  );
  // Deep links such as #chat/202 or #chat/g3 keep their tab.
  const tab = location.hash.slice(1).split('/')[0];
  if (!tabs.some(([id]) => id === tab)) location.hash = `#${tabs[0][0]}`;
  connectEvents();
  await render();
}

function connectEvents() {
  state.socket?.close();
  const topics =
    state.session.role === 'admin'
      ? 'calls,registrations,presence,records,messages'
      : 'presence,registrations,messages,calls,records';
  const ws = new WebSocket(
    `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/events?topics=${topics}`,
  );
  state.socket = ws;
  ws.addEventListener('open', () => {
    $('live-state').textContent = 'live';
    $('live-state').className = 'on';
  });
  ws.addEventListener('close', () => {
    $('live-state').textContent = 'offline';
    $('live-state').className = '';
    // Reconnect while logged in (the PBX restarted, the network blinked).
    if (state.socket === ws && state.session)
      setTimeout(() => state.session && connectEvents(), 2000);
  });
  ws.addEventListener('message', (m) => onEvent(JSON.parse(m.data)));
}

function onEvent(e) {
  if (!e.topic) return;
  if (e.topic === 'presence') {
    state.contacts.set(e.data.tel, e.data);
    if (state.tab === 'contacts') drawContacts();
    if (state.tab === 'me' && e.data.tel === state.session.user) void render();
  } else if (e.topic === 'calls') {
    if (e.data.state === 'ended') state.calls.delete(e.data.ref);
    else state.calls.set(e.data.ref, e.data);
    if (state.tab === 'calls') drawCalls();
    clickCallEvent(e.data);
  } else if (e.topic === 'registrations') {
    if (state.tab === 'status') void render();
    const c = state.contacts.get(e.data.tel);
    if (c) {
      c.registered = e.data.registered;
      if (state.tab === 'contacts') drawContacts();
    }
  } else if (e.topic === 'messages') {
    // The administrator's chat groups page follows group changes and deliveries.
    if (state.session.role === 'admin') {
      if (state.tab === 'groups') void render();
      return;
    }
    if (onGroupEvent(e)) return;
    const peer = e.data.fromTel === state.session.user ? e.data.toTel : e.data.fromTel;
    if (state.tab === 'chat' && peer === state.chatPeer) {
      state.messages.push(e.data);
      drawMessages();
    }
  } else if (e.topic === 'records') {
    if (state.tab === 'history' || state.tab === 'records') void render();
  }
}

/**
 * Draws the view for the current hash. One draw at a time: a view awaits the API before it
 * replaces the page, so two overlapping draws could finish in the wrong order and leave an older
 * page (the list after the edit page) on screen. A request during a draw runs one more draw,
 * which reads the hash afresh, once that one is done; callers awaiting it get the last one.
 */
let drawing = null;
let drawAgain = false;
function render() {
  if (drawing) {
    drawAgain = true;
    return drawing;
  }
  drawing = (async () => {
    try {
      do {
        drawAgain = false;
        await draw();
      } while (drawAgain);
    } finally {
      drawing = null;
    }
  })();
  return drawing;
}

async function draw() {
  if (!state.session) return;
  const tab = location.hash.slice(1).split('/')[0] || '';
  if (tab !== state.tab) state.meNotice = '';
  state.tab = tab;
  for (const a of $('tabs').querySelectorAll('a'))
    a.classList.toggle('active', a.getAttribute('href') === `#${tab}`);
  const view = $('view');
  try {
    switch (tab) {
      case 'contacts':
        return await viewContacts(view);
      case 'history':
        return await viewHistory(view);
      case 'chat':
        return await viewChat(view);
      case 'voicemail':
        return await viewVoicemail(view);
      case 'me':
        return await viewMe(view);
      case 'status':
        return await viewStatus(view);
      case 'calls':
        return await viewCalls(view);
      case 'stations':
        return await viewStations(view);
      case 'records':
        return await viewRecords(view);
      case 'system':
        return await viewSystem(view);
      case 'plan':
        return await viewPlan(view, location.hash.split('/')[1] || '');
      case 'trunks':
        return await viewTrunks(view, decodeURIComponent(location.hash.split('/')[1] || ''));
      case 'billing':
        return await viewBilling(view, decodeURIComponent(location.hash.split('/')[1] || ''));
      case 'groups':
        return await viewChatGroups(view, location.hash.split('/')[1] || '');
      case 'ladder':
        return await viewLadder(view, location.hash.split('/')[1] || '');
      default:
        view.replaceChildren();
    }
  } catch (err) {
    view.replaceChildren(el('p', { className: 'error' }, err.message));
  }
}

state.render = render;
setUnauthorized(() => state.session && showLogin());
void start();
