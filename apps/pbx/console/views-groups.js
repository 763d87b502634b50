// Chat groups in the chat pane: the list, a new group, a group's history (paging back), sending,
// members (creator: add, remove, rename, delete; anyone: leave), and live updates from the
// `messages` topic (`message` events with a groupId, `group` events when a group changes, and
// `delivery` events as each member's phone takes, or refuses, its copy of a message).
import { $, api, el, time } from './dom.js';
import { drawChatBox } from './chat-box.js';
import { state } from './state.js';

/** The sidebar entries: a link per group and one to make a new group. */
export function groupLinks() {
  return [
    el('li', { className: 'heading' }, 'Groups'),
    ...state.groups.map((g) =>
      el(
        'li',
        {},
        el(
          'a',
          {
            href: `#chat/g${g.id}`,
            id: `group-link-${g.id}`,
            className: g.id === state.chatGroup ? 'active' : '',
          },
          `${g.name} (${g.number})`,
          state.unread.get(g.id) ? el('b', { className: 'badge' }, state.unread.get(g.id)) : null,
        ),
      ),
    ),
    el('li', {}, el('a', { href: '#chat/new', id: 'group-new' }, '+ New group')),
    el('li', { className: 'heading' }, 'Colleagues'),
  ];
}

/** The form for a new group: a name and colleagues to add (the creator is always in it). */
export function viewNewGroup(pane, colleagues) {
  const create = async (e) => {
    e.preventDefault();
    const members = [...pane.querySelectorAll('input[name=member]:checked')].map((i) => i.value);
    try {
      const g = await api('POST', '/api/chat/groups', { name: $('group-name').value, members });
      location.hash = `#chat/g${g.id}`;
    } catch (err) {
      $('chat-error').textContent = err.message;
    }
  };
  pane.replaceChildren(
    el(
      'form',
      { id: 'group-form', className: 'settings', onsubmit: create },
      el('h3', {}, 'New group'),
      el('input', { id: 'group-name', placeholder: 'Group name', maxlength: 64, required: true }),
      el(
        'div',
        { className: 'members-pick' },
        colleagues.map((c) =>
          el(
            'label',
            { className: 'row' },
            el('input', { type: 'checkbox', name: 'member', value: c.tel, id: `pick-${c.tel}` }),
            `${c.name || c.tel} (${c.tel})`,
          ),
        ),
      ),
      el('button', { type: 'submit', id: 'group-create' }, 'Create'),
      el('p', { id: 'chat-error', className: 'error' }),
    ),
  );
}

const nameOf = (tel) => {
  if (tel === 'pbx') return 'PBX';
  const c = state.contacts.get(tel);
  return c && c.name ? `${c.name} (${tel})` : tel;
};

/** A group's page: members, history, the send form. */
export async function viewGroup(pane, id) {
  state.chatGroup = id;
  state.unread.delete(id);
  const page = await api('GET', `/api/chat/groups/${id}/messages?limit=50`);
  const g = page.group;
  state.groupMessages = page.messages;
  state.groupNext = page.next;
  const me = state.session.user;
  const mine = g.createdBy === me;
  const act = (f) => async () => {
    try {
      await f();
    } catch (err) {
      $('chat-error').textContent = err.message;
    }
  };
  pane.replaceChildren(
    el(
      'div',
      { className: 'group-head' },
      el('b', { id: 'group-title' }, `${g.name} · ${g.number}`),
      el(
        'span',
        { id: 'group-members', className: 'muted' },
        ' ',
        g.members.map((t) =>
          el(
            'span',
            { className: 'member' },
            nameOf(t),
            mine && t !== me
              ? el(
                  'button',
                  {
                    type: 'button',
                    className: 'link',
                    title: `remove ${t}`,
                    onclick: act(() => api('DELETE', `/api/chat/groups/${id}/members/${t}`)),
                  },
                  '×',
                )
              : null,
          ),
        ),
      ),
      mine
        ? el(
            'form',
            {
              className: 'row',
              onsubmit: (e) => {
                e.preventDefault();
                const tel = $('group-add-tel').value.trim();
                if (tel)
                  void act(() =>
                    api('POST', `/api/chat/groups/${id}/members`, { members: [tel] }),
                  )();
              },
            },
            el('input', {
              id: 'group-add-tel',
              placeholder: 'add station',
              inputmode: 'numeric',
              size: 8,
            }),
            el('button', { type: 'submit', id: 'group-add' }, 'Add'),
            el(
              'button',
              {
                type: 'button',
                className: 'secondary',
                id: 'group-rename',
                onclick: act(async () => {
                  const name = prompt('New name', g.name);
                  if (name) await api('PATCH', `/api/chat/groups/${id}`, { name });
                }),
              },
              'Rename',
            ),
            el(
              'button',
              {
                type: 'button',
                className: 'secondary',
                id: 'group-delete',
                onclick: act(async () => {
                  if (!confirm(`Delete ${g.name} and its messages?`)) return;
                  await api('DELETE', `/api/chat/groups/${id}`);
                  location.hash = '#chat';
                }),
              },
              'Delete',
            ),
          )
        : null,
      el(
        'button',
        {
          type: 'button',
          className: 'secondary',
          id: 'group-leave',
          onclick: act(async () => {
            await api('POST', `/api/chat/groups/${id}/leave`);
            location.hash = '#chat';
          }),
        },
        'Leave',
      ),
    ),
    el(
      'button',
      {
        type: 'button',
        className: 'link',
        id: 'group-older',
        hidden: !state.groupNext,
        onclick: olderMessages,
      },
      'Older messages',
    ),
    el('div', { id: 'chat-messages', className: 'messages' }),
    el(
      'form',
      { id: 'group-send-form', className: 'send', onsubmit: sendToGroup },
      el('input', {
        id: 'group-input',
        placeholder: `Message to ${g.name} (phones: ${g.number})`,
        maxlength: 4000,
        autocomplete: 'off',
      }),
      el('button', { type: 'submit', id: 'group-send' }, 'Send'),
    ),
    el('p', { id: 'chat-error', className: 'error' }),
  );
  drawGroupMessages();
}

const DELIVERY_TEXT = { delivered: 'delivered', waiting: 'waiting', failed: 'failed' };

/** Per member of a message the user wrote (or any, for the administrator): where its copy is. */
function deliveryList(m) {
  if (!m.deliveries || !m.deliveries.length) return null;
  if (m.fromTel !== state.session.user && state.session.role !== 'admin') return null;
  return el(
    'span',
    { className: 'deliveries' },
    ...m.deliveries.map((d) =>
      el(
        'span',
        {
          className: `dlv ${d.state}`,
          'data-tel': d.tel,
          'data-state': d.state,
          title: d.status ? `SIP ${d.status}` : 'not tried yet',
        },
        `${d.tel} ${DELIVERY_TEXT[d.state] || d.state}${d.state === 'failed' && d.status ? ` (${d.status})` : ''}`,
      ),
    ),
  );
}

export function drawGroupMessages() {
  drawChatBox(state.groupMessages, (m) => [
    `${nameOf(m.fromTel)} · ${time(m.createdAt)}`,
    m.waitingFor && m.waitingFor.length ? ` · waiting for ${m.waitingFor.join(', ')}` : '',
    deliveryList(m),
  ]);
}

/** A live message of the group shown: every other member's copy starts as waiting. */
function withDeliveries(m) {
  if (m.deliveries) return m;
  const g = state.groups.find((x) => x.id === m.groupId);
  const others = g ? g.members.filter((t) => t !== m.fromTel) : [];
  return {
    ...m,
    waitingFor: others,
    deliveries: others.map((tel) => ({ tel, state: 'waiting', status: null, at: null })),
  };
}

/** A `delivery` event: one member's copy of a message changed state. */
function onDelivery(u) {
  if (state.tab !== 'chat' || state.chatGroup !== u.groupId) return;
  const m = state.groupMessages.find((x) => x.id === u.messageId);
  if (!m) return;
  const d = { tel: u.tel, state: u.state, status: u.status, at: u.at };
  const list = (m.deliveries || []).filter((x) => x.tel !== u.tel);
  m.deliveries = [...list, d].sort(
    (a, b) => a.tel.length - b.tel.length || (a.tel < b.tel ? -1 : 1),
  );
  m.waitingFor = m.deliveries.filter((x) => x.state !== 'delivered').map((x) => x.tel);
  drawGroupMessages();
}

async function olderMessages() {
  const id = state.chatGroup;
  const page = await api(
    'GET',
    `/api/chat/groups/${id}/messages?limit=50&before=${state.groupNext}`,
  );
  if (state.chatGroup !== id) return;
  state.groupMessages = [...page.messages, ...state.groupMessages];
  state.groupNext = page.next;
  if (!page.next) $('group-older').hidden = true;
  drawGroupMessages();
}

async function sendToGroup(e) {
  e.preventDefault();
  const input = $('group-input');
  const body = input.value.trim();
  if (!body) return;
  try {
    await api('POST', `/api/chat/groups/${state.chatGroup}/messages`, { body });
    input.value = '';
    $('chat-error').textContent = '';
  } catch (err) {
    $('chat-error').textContent = err.message;
  }
}

/** A `messages`-topic event about groups; true when it was one (handled here). */
export function onGroupEvent(e) {
  if (e.type === 'group') {
    const at = state.groups.findIndex((g) => g.id === e.data.id);
    const member = !e.data.deleted && e.data.members.includes(state.session.user);
    if (member && at >= 0) state.groups[at] = e.data;
    else if (member) state.groups.push(e.data);
    else if (at >= 0) state.groups.splice(at, 1);
    if (state.tab !== 'chat') return true;
    // Removed from the group being shown (or it was deleted): back to the list.
    if (state.chatGroup === e.data.id && !member) location.hash = '#chat';
    else void state.render();
    return true;
  }
  if (e.type === 'delivery') {
    onDelivery(e.data);
    return true;
  }
  if (e.type !== 'message' || e.data.groupId === null || e.data.groupId === undefined) return false;
  if (state.tab === 'chat' && state.chatGroup === e.data.groupId) {
    state.groupMessages.push(withDeliveries(e.data));
    drawGroupMessages();
  } else if (e.data.fromTel !== state.session.user) {
    state.unread.set(e.data.groupId, (state.unread.get(e.data.groupId) || 0) + 1);
    const link = $(`group-link-${e.data.groupId}`);
    if (link && state.tab === 'chat') void state.render();
  }
  return true;
}
