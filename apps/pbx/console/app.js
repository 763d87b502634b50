// The PBX web console: plain ES modules, no framework and no build step. The console is a few
// views over a JSON API and one WebSocket; a framework would add a bundler and a dependency tree
// to ship for what `el()` and a re-render per event do here. Everything is served by the PBX.

const state = {
  session: null,
  tab: '',
  contacts: new Map(),
  calls: new Map(),
  chatPeer: '',
  meNotice: '',
  messages: [],
  socket: null,
};

/** Builds an element; children are nodes or text (always text: never parsed as HTML). */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else if (k === 'className') node.className = v;
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

const $ = (id) => document.getElementById(id);
const time = (ms) => (ms ? new Date(ms).toLocaleString() : '');

async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const type = res.headers.get('content-type') || '';
  const data = type.includes('json') ? await res.json() : await res.text();
  if (!res.ok) {
    if (res.status === 401 && state.session) showLogin();
    throw new Error((data && data.message) || `HTTP ${res.status}`);
  }
  return data;
}

// ---------------------------------------------------------------------------------------------
// Session and navigation.

const STATION_TABS = [
  ['contacts', 'Contacts'],
  ['history', 'History'],
  ['chat', 'Chat'],
  ['me', 'My status'],
];
const ADMIN_TABS = [
  ['status', 'Phone status'],
  ['calls', 'Live calls'],
  ['stations', 'Stations'],
  ['records', 'Call records'],
  ['contacts', 'Contacts'],
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
  if (!tabs.some(([id]) => `#${id}` === location.hash)) location.hash = `#${tabs[0][0]}`;
  connectEvents();
  await render();
}

function connectEvents() {
  state.socket?.close();
  const topics =
    state.session.role === 'admin'
      ? 'calls,registrations,presence,records'
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
  } else if (e.topic === 'registrations') {
    if (state.tab === 'status') void render();
    const c = state.contacts.get(e.data.tel);
    if (c) {
      c.registered = e.data.registered;
      if (state.tab === 'contacts') drawContacts();
    }
  } else if (e.topic === 'messages') {
    const peer = e.data.fromTel === state.session.user ? e.data.toTel : e.data.fromTel;
    if (state.tab === 'chat' && peer === state.chatPeer) {
      state.messages.push(e.data);
      drawMessages();
    }
  } else if (e.topic === 'records') {
    if (state.tab === 'history' || state.tab === 'records') void render();
  }
}

async function render() {
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
      case 'ladder':
        return await viewLadder(view, location.hash.split('/')[1] || '');
      default:
        view.replaceChildren();
    }
  } catch (err) {
    view.replaceChildren(el('p', { className: 'error' }, err.message));
  }
}

// ---------------------------------------------------------------------------------------------
// Station user views.

async function viewContacts(view) {
  const list = await api('GET', '/api/contacts');
  state.contacts = new Map(list.map((c) => [c.tel, c]));
  view.replaceChildren(
    el(
      'div',
      { className: 'toolbar' },
      el('input', {
        id: 'contact-search',
        type: 'search',
        placeholder: 'Search name or number',
        oninput: drawContacts,
      }),
    ),
    el('div', { id: 'contact-cards', className: 'cards' }),
  );
  drawContacts();
}

const LAMP_TEXT = { idle: 'idle', ringing: 'ringing', busy: 'on the phone' };

function drawContacts() {
  const box = $('contact-cards');
  if (!box) return;
  const q = ($('contact-search')?.value || '').trim().toLowerCase();
  const cards = [...state.contacts.values()]
    .filter((c) => !q || c.tel.includes(q) || c.name.toLowerCase().includes(q))
    .sort((a, b) => a.tel.localeCompare(b.tel))
    .map((c) =>
      el(
        'div',
        { className: 'card', 'data-tel': c.tel, id: `contact-${c.tel}` },
        el(
          'div',
          {},
          el('span', {
            className: `lamp ${c.lamp}`,
            'data-lamp': c.lamp,
            title: LAMP_TEXT[c.lamp],
          }),
          el('span', { className: 'name' }, c.name || c.tel),
          ' ',
          el('span', { className: 'muted' }, c.tel),
        ),
        el(
          'div',
          { className: 'row' },
          el('span', { className: 'lamp-text' }, LAMP_TEXT[c.lamp]),
          el(
            'span',
            { className: `tag ${c.registered ? '' : 'off'}` },
            c.registered ? 'registered' : 'not registered',
          ),
          c.dnd ? el('span', { className: 'tag dnd' }, 'DND') : null,
          c.forward
            ? el('span', { className: 'tag' }, `forward ${c.forward.type} → ${c.forward.target}`)
            : null,
        ),
        c.statusText ? el('div', { className: 'muted status-text' }, c.statusText) : null,
        state.session.role === 'station' && c.tel !== state.session.user
          ? el('a', { href: `#chat/${c.tel}` }, 'Chat')
          : null,
      ),
    );
  box.replaceChildren(...cards);
}

async function viewHistory(view) {
  const { counts, records } = await api('GET', '/api/me/calls');
  const me = state.session.user;
  view.replaceChildren(
    el(
      'div',
      { className: 'counts' },
      el('div', { id: 'count-incoming' }, el('b', {}, counts.incoming), 'incoming'),
      el('div', { id: 'count-outgoing' }, el('b', {}, counts.outgoing), 'outgoing'),
      el('div', { id: 'count-missed' }, el('b', {}, counts.missed), 'missed'),
    ),
    el(
      'table',
      { id: 'history-table' },
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          ['When', 'Direction', 'Number', 'Result', 'Talk'].map((h) => el('th', {}, h)),
        ),
      ),
      el(
        'tbody',
        {},
        records.map((r) => {
          const out = r.callerTel === me;
          const missed = !out && r.answerAt === null;
          return el(
            'tr',
            { className: missed ? 'missed' : '' },
            el('td', {}, time(r.startAt)),
            el('td', {}, out ? 'outgoing' : missed ? 'missed' : 'incoming'),
            el(
              'td',
              {},
              out ? r.dialled : `${r.callerName ? `${r.callerName} ` : ''}${r.callerTel}`,
            ),
            el('td', {}, r.disposition || 'in progress'),
            el('td', {}, r.durationMs ? `${Math.round(r.durationMs / 1000)} s` : ''),
          );
        }),
      ),
    ),
  );
}

async function viewChat(view) {
  const contacts = await api('GET', '/api/contacts');
  state.contacts = new Map(contacts.map((c) => [c.tel, c]));
  state.chatPeer = location.hash.split('/')[1] || '';
  const others = contacts.filter((c) => c.tel !== state.session.user);
  view.replaceChildren(
    el(
      'div',
      { className: 'chat' },
      el(
        'ul',
        { id: 'chat-peers' },
        others.map((c) =>
          el(
            'li',
            {},
            el(
              'a',
              { href: `#chat/${c.tel}`, className: c.tel === state.chatPeer ? 'active' : '' },
              el('span', { className: `lamp ${c.lamp}` }),
              `${c.name || c.tel} (${c.tel})`,
            ),
          ),
        ),
      ),
      el(
        'div',
        {},
        el(
          'div',
          { id: 'chat-messages', className: 'messages' },
          state.chatPeer ? null : el('p', { className: 'muted' }, 'Pick a colleague to chat with.'),
        ),
        state.chatPeer
          ? el(
              'form',
              { id: 'chat-form', className: 'send', onsubmit: sendChat },
              el('input', {
                id: 'chat-input',
                placeholder: `Message to ${state.chatPeer}`,
                maxlength: 4000,
                autocomplete: 'off',
              }),
              el('button', { type: 'submit', id: 'chat-send' }, 'Send'),
            )
          : null,
        el('p', { id: 'chat-error', className: 'error' }),
      ),
    ),
  );
  if (state.chatPeer) {
    state.messages = await api('GET', `/api/me/messages?peer=${state.chatPeer}`);
    drawMessages();
  }
}

function drawMessages() {
  const box = $('chat-messages');
  if (!box) return;
  const seen = new Set();
  const list = state.messages.filter((m) => !seen.has(m.id) && seen.add(m.id));
  box.replaceChildren(
    ...list.map((m) =>
      el(
        'div',
        {
          className: `msg ${m.fromTel === state.session.user ? 'mine' : ''}`,
          'data-from': m.fromTel,
        },
        m.body,
        el('small', {}, `${m.fromTel} · ${time(m.createdAt)}${m.deliveredAt ? '' : ' · waiting'}`),
      ),
    ),
  );
  box.scrollTop = box.scrollHeight;
}

async function sendChat(e) {
  e.preventDefault();
  const input = $('chat-input');
  const body = input.value.trim();
  if (!body) return;
  try {
    await api('POST', '/api/me/messages', { to: state.chatPeer, body });
    input.value = '';
    $('chat-error').textContent = '';
  } catch (err) {
    $('chat-error').textContent = err.message;
  }
}

async function viewMe(view) {
  const me = await api('GET', '/api/me');
  const fwd = me.forward || { type: 'all', target: '' };
  const save = async (body) => {
    try {
      await api('PATCH', '/api/me', body);
      // Kept in state: the page is drawn again (here and on the presence event that follows).
      state.meNotice = 'Saved.';
      await render();
    } catch (err) {
      $('me-error').textContent = err.message;
    }
  };
  view.replaceChildren(
    el(
      'div',
      { className: 'settings' },
      el(
        'div',
        {},
        el('span', { className: `lamp ${me.lamp}` }),
        `${me.name || me.tel} (${me.tel}) — `,
        LAMP_TEXT[me.lamp],
        me.registered ? '' : ', phone not registered',
      ),
      el(
        'label',
        { className: 'row' },
        el('input', {
          type: 'checkbox',
          id: 'me-dnd',
          checked: me.dnd,
          onchange: (e) => save({ dnd: e.target.checked }),
        }),
        'Do not disturb (calls to you are refused)',
      ),
      el(
        'form',
        {
          className: 'row',
          onsubmit: (e) => {
            e.preventDefault();
            void save({ statusText: $('me-status').value });
          },
        },
        el('input', {
          id: 'me-status',
          value: me.statusText,
          maxlength: 100,
          placeholder: 'Status others see',
        }),
        el('button', { type: 'submit', id: 'me-status-save' }, 'Set status'),
      ),
      el(
        'form',
        {
          className: 'row',
          onsubmit: (e) => {
            e.preventDefault();
            const target = $('me-forward-target').value.trim();
            void save({ forward: target ? { type: $('me-forward-type').value, target } : null });
          },
        },
        'Forward',
        el(
          'select',
          { id: 'me-forward-type' },
          [
            ['all', 'all calls'],
            ['busy', 'when busy'],
            ['noAnswer', 'no answer'],
            ['busyNoAnswer', 'busy / no answer'],
          ].map(([v, t]) => el('option', { value: v, selected: v === fwd.type }, t)),
        ),
        el('input', {
          id: 'me-forward-target',
          value: fwd.target,
          placeholder: 'number',
          inputmode: 'numeric',
          size: 8,
        }),
        el('button', { type: 'submit', id: 'me-forward-save' }, 'Set'),
        me.forward
          ? el(
              'button',
              { type: 'button', className: 'secondary', onclick: () => save({ forward: null }) },
              'Clear',
            )
          : null,
      ),
      el('p', { id: 'me-saved', className: 'muted' }, state.meNotice || ''),
      el('p', { id: 'me-error', className: 'error' }),
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// Administrator views.

async function viewStatus(view) {
  const rows = await api('GET', '/api/registrations');
  view.replaceChildren(
    el(
      'table',
      { id: 'status-table' },
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          ['Tel', 'Name', 'State', 'Phone type', 'Public IP:port', 'Protocol', 'Expires'].map((h) =>
            el('th', {}, h),
          ),
        ),
      ),
      el(
        'tbody',
        {},
        rows.flatMap((s) =>
          (s.contacts.length ? s.contacts : [null]).map((r) =>
            el(
              'tr',
              { 'data-tel': s.tel },
              el('td', {}, s.tel),
              el('td', {}, s.name),
              el(
                'td',
                {},
                el(
                  'span',
                  { className: `tag ${r ? '' : 'off'}` },
                  r ? 'Registered' : 'Disconnected',
                ),
              ),
              el('td', {}, r ? r.userAgent || 'SIP phone' : ''),
              el('td', {}, r ? `${r.sourceIp}:${r.sourcePort}` : ''),
              el('td', {}, r ? r.protocol.toUpperCase() : ''),
              el('td', {}, r ? time(r.expiresAt) : ''),
            ),
          ),
        ),
      ),
    ),
  );
}

async function viewCalls(view) {
  const list = await api('GET', '/api/calls');
  state.calls = new Map(list.map((c) => [c.ref, c]));
  view.replaceChildren(el('div', { id: 'calls-box' }));
  drawCalls();
}

function drawCalls() {
  const box = $('calls-box');
  if (!box) return;
  const calls = [...state.calls.values()];
  if (calls.length === 0) {
    box.replaceChildren(el('p', { className: 'muted', id: 'no-calls' }, 'No calls.'));
    return;
  }
  box.replaceChildren(
    el(
      'table',
      { id: 'calls-table' },
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          ['From', 'To', 'State', 'Started', '', ''].map((h) => el('th', {}, h)),
        ),
      ),
      el(
        'tbody',
        {},
        calls.map((c) =>
          el(
            'tr',
            { 'data-ref': c.ref, 'data-state': c.state },
            el(
              'td',
              {},
              `${c.caller.name ? `${c.caller.name} ` : ''}${c.caller.station || c.caller.number}`,
            ),
            el('td', {}, c.callee || c.dialled),
            el('td', { className: 'call-state' }, c.state),
            el('td', {}, time(c.startedAt)),
            el('td', {}, el('a', { href: `#ladder/${c.ref}` }, 'SIP ladder')),
            el(
              'td',
              {},
              el(
                'button',
                {
                  className: 'danger',
                  onclick: () =>
                    api('DELETE', `/api/calls/${c.ref}`).catch((e) => alert(e.message)),
                },
                'Hang up',
              ),
            ),
          ),
        ),
      ),
    ),
  );
}

async function viewStations(view) {
  const list = await api('GET', '/api/stations');
  view.replaceChildren(
    el(
      'table',
      { id: 'stations-table' },
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          ['Tel', 'Name', 'User ID', 'DND', 'Forward', 'White list', 'CTI'].map((h) =>
            el('th', {}, h),
          ),
        ),
      ),
      el(
        'tbody',
        {},
        list.map((s) =>
          el(
            'tr',
            {},
            el('td', {}, s.tel),
            el('td', {}, s.name),
            el('td', {}, s.userId),
            el('td', {}, s.dnd ? 'on' : 'off'),
            el(
              'td',
              {},
              s.forwardAll || s.forwardBusy || s.forwardNoAnswer || s.forwardBusyNoAnswer || '',
            ),
            el('td', {}, s.useWhitelist ? 'on' : 'off'),
            el('td', {}, s.ctiPassword),
          ),
        ),
      ),
    ),
  );
}

async function viewRecords(view) {
  const ext = new URLSearchParams(location.hash.split('?')[1] || '').get('ext') || '';
  const query = ext ? `?ext=${encodeURIComponent(ext)}` : '';
  const page = await api('GET', `/api/cdrs${query}`);
  view.replaceChildren(
    el(
      'form',
      {
        className: 'toolbar',
        onsubmit: (e) => {
          e.preventDefault();
          location.hash = `#records?ext=${$('records-ext').value.trim()}`;
        },
      },
      el('input', { id: 'records-ext', value: ext, placeholder: 'number' }),
      el('button', { type: 'submit' }, 'Search'),
      el(
        'a',
        {
          href: `/api/cdrs?format=csv${ext ? `&ext=${encodeURIComponent(ext)}` : ''}`,
          id: 'records-csv',
          download: 'call-records.csv',
        },
        'Download CSV',
      ),
      el('span', { className: 'muted' }, `${page.total} records`),
    ),
    el(
      'table',
      { id: 'records-table' },
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          ['Start', 'From', 'To', 'Dialled', 'Result', 'Talk', ''].map((h) => el('th', {}, h)),
        ),
      ),
      el(
        'tbody',
        {},
        [...page.records]
          .reverse()
          .map((r) =>
            el(
              'tr',
              {},
              el('td', {}, time(r.startAt)),
              el('td', {}, r.callerTel),
              el('td', {}, r.calleeTel || ''),
              el('td', {}, r.dialled),
              el('td', {}, r.disposition || 'in progress'),
              el('td', {}, r.durationMs ? `${Math.round(r.durationMs / 1000)} s` : ''),
              el('td', {}, el('a', { href: `#ladder/${r.callRef}` }, 'ladder')),
            ),
          ),
      ),
    ),
  );
}

/** Draws the SIP messages of one call as a ladder: one column per peer, the PBX in between. */
async function viewLadder(view, ref) {
  const { messages, peers: names } = await api(
    'GET',
    `/api/calls/${encodeURIComponent(ref)}/ladder`,
  );
  const peers = [];
  for (const m of messages) if (!peers.includes(m.peer)) peers.push(m.peer);
  const columns = [peers[0], 'PBX', ...peers.slice(1)].filter(Boolean);
  const colX = (name) => 90 + columns.indexOf(name) * 220;
  const width = Math.max(400, colX(columns[columns.length - 1]) + 110);
  const rowH = 28;
  const height = 60 + messages.length * rowH;
  const NS = 'http://www.w3.org/2000/svg';
  const svg = (tag, attrs, text) => {
    const n = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, String(v));
    if (text !== undefined) n.textContent = text;
    return n;
  };
  const root = svg('svg', {
    class: 'ladder',
    id: 'ladder',
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
  });
  const defs = svg('defs', {});
  const marker = svg('marker', {
    id: 'arrow',
    markerWidth: 8,
    markerHeight: 8,
    refX: 7,
    refY: 4,
    orient: 'auto',
  });
  marker.append(svg('path', { d: 'M0,0 L8,4 L0,8 z', fill: '#1d2330' }));
  defs.append(marker);
  root.append(defs);
  for (const c of columns) {
    root.append(
      svg(
        'text',
        { x: colX(c), y: 20, 'text-anchor': 'middle', 'font-weight': 'bold' },
        names[c] ? `${names[c]} (${c})` : c,
      ),
    );
    root.append(
      svg('line', {
        x1: colX(c),
        y1: 30,
        x2: colX(c),
        y2: height - 10,
        stroke: '#9aa3b2',
        'stroke-dasharray': '4 3',
      }),
    );
  }
  messages.forEach((m, i) => {
    const y = 50 + i * rowH;
    const [from, to] = m.direction === 'in' ? [m.peer, 'PBX'] : ['PBX', m.peer];
    const x1 = colX(from);
    const x2 = colX(to);
    const colour = m.status >= 400 ? '#d93025' : m.status >= 200 ? '#1e8e3e' : '#1d2330';
    root.append(
      svg('line', {
        x1,
        y1: y,
        x2,
        y2: y,
        stroke: colour,
        'stroke-width': 1.5,
        'marker-end': 'url(#arrow)',
      }),
    );
    const label = svg(
      'text',
      { x: (x1 + x2) / 2, y: y - 5, 'text-anchor': 'middle', fill: colour, class: 'ladder-label' },
      m.label,
    );
    label.append(svg('title', {}, m.text));
    root.append(label);
  });
  view.replaceChildren(
    el(
      'p',
      {},
      el('a', { href: '#calls' }, '← Live calls'),
      ' ',
      el(
        'span',
        { className: 'muted' },
        `Call ${ref}: ${messages.length} SIP messages (hover a label for the message)`,
      ),
    ),
    root,
  );
}

void start();
