// The station user's views: history, chat, my status (the contact book: views-book.js).
import { $, api, el, time } from './dom.js';
import { drawChatBox } from './chat-box.js';
import { LAMP_TEXT, state } from './state.js';
import { groupLinks, viewGroup, viewNewGroup } from './views-groups.js';
// ---------------------------------------------------------------------------------------------
// Station user views.

export async function viewHistory(view) {
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

export async function viewChat(view) {
  const [contacts, groups] = await Promise.all([
    api('GET', '/api/contacts'),
    api('GET', '/api/chat/groups'),
  ]);
  state.contacts = new Map(contacts.map((c) => [c.tel, c]));
  state.groups = groups;
  // `#chat/<tel>`: a colleague; `#chat/g<id>`: a group; `#chat/new`: a new group.
  const target = location.hash.split('/')[1] || '';
  const groupId = /^g\d+$/.test(target) ? Number(target.slice(1)) : null;
  state.chatPeer = groupId === null && target !== 'new' ? target : '';
  state.chatGroup = groupId;
  const others = contacts.filter((c) => c.tel !== state.session.user);
  const pane = el('div', { id: 'chat-pane' });
  view.replaceChildren(
    el(
      'div',
      { className: 'chat' },
      el(
        'ul',
        { id: 'chat-peers' },
        groupLinks(),
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
      pane,
    ),
  );
  if (groupId !== null) return viewGroup(pane, groupId);
  if (target === 'new') return viewNewGroup(pane, others);
  pane.replaceChildren(
    el(
      'div',
      { id: 'chat-messages', className: 'messages' },
      state.chatPeer
        ? null
        : el('p', { className: 'muted' }, 'Pick a colleague or a group to chat with.'),
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
  );
  if (state.chatPeer) {
    state.messages = await api('GET', `/api/me/messages?peer=${state.chatPeer}`);
    drawMessages();
  }
}

export function drawMessages() {
  drawChatBox(state.messages, (m) => [
    `${m.fromTel} · ${time(m.createdAt)}${m.deliveredAt ? '' : ' · waiting'}`,
  ]);
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

export async function viewMe(view) {
  const me = await api('GET', '/api/me');
  const fwd = me.forward || { type: 'all', target: '' };
  const save = async (body) => {
    try {
      await api('PATCH', '/api/me', body);
      // Kept in state: the page is drawn again (here and on the presence event that follows).
      state.meNotice = 'Saved.';
      await state.render();
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
          placeholder: 'number or voicemail',
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
