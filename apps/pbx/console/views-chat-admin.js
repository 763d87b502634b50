// The administrator's chat groups page (#groups): every group with its members and message
// count; create, rename, delete, add and remove members; a group's history (#groups/<id>) with
// each member's delivery. Redrawn on the `messages` topic's `group` and `delivery` events, so a
// change made elsewhere (a user's console, `pbx chat`) shows without a reload.
import { $, api, el, time } from './dom.js';
import { state } from './state.js';

const act = (f) => async (e) => {
  e?.preventDefault?.();
  try {
    await f();
    $('groups-error').textContent = '';
  } catch (err) {
    $('groups-error').textContent = err.message;
  }
};

const tels = (text) =>
  text
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);

/** The page: `#groups` lists them, `#groups/<id>` shows one group's history. */
export async function viewChatGroups(view, sub) {
  if (sub) return viewGroupHistory(view, Number(sub));
  const groups = await api('GET', '/api/chat/groups');
  view.replaceChildren(
    el(
      'form',
      {
        id: 'groups-new',
        className: 'row',
        onsubmit: act(async () => {
          const number = $('groups-new-number').value.trim();
          await api('POST', '/api/chat/groups', {
            name: $('groups-new-name').value,
            ...(number ? { number } : {}),
            members: tels($('groups-new-members').value),
          });
          await state.render();
        }),
      },
      el('input', {
        id: 'groups-new-name',
        placeholder: 'Group name',
        maxlength: 64,
        required: true,
      }),
      el('input', { id: 'groups-new-number', placeholder: 'number (optional)', size: 8 }),
      el('input', { id: 'groups-new-members', placeholder: 'members: 201, 202' }),
      el('button', { type: 'submit', id: 'groups-create' }, 'Create group'),
    ),
    el('p', { id: 'groups-error', className: 'error' }),
    el(
      'table',
      { id: 'groups-table' },
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          ['Number', 'Name', 'Members', 'Messages', 'Created by', ''].map((h) => el('th', {}, h)),
        ),
      ),
      el('tbody', {}, groups.map(groupRow)),
    ),
  );
}

function groupRow(g) {
  const path = `/api/chat/groups/${g.id}`;
  return el(
    'tr',
    { 'data-number': g.number, id: `groups-row-${g.number}` },
    el('td', {}, el('a', { href: `#groups/${g.id}`, className: 'history' }, g.number)),
    el('td', { className: 'name' }, g.name),
    el(
      'td',
      { className: 'members' },
      g.members.map((t) =>
        el(
          'span',
          { className: 'member', 'data-tel': t },
          t,
          el(
            'button',
            {
              type: 'button',
              className: 'link remove',
              title: `remove ${t}`,
              onclick: act(() => api('DELETE', `${path}/members/${t}`).then(() => state.render())),
            },
            '×',
          ),
        ),
      ),
      el(
        'form',
        {
          className: 'row add',
          onsubmit: act(async () => {
            const list = tels($(`groups-add-${g.number}`).value);
            if (list.length) await api('POST', `${path}/members`, { members: list });
            await state.render();
          }),
        },
        el('input', { placeholder: 'add 203', size: 6, id: `groups-add-${g.number}` }),
        el('button', { type: 'submit', className: 'secondary' }, 'Add'),
      ),
    ),
    el('td', { className: 'count' }, String(g.messageCount ?? 0)),
    el('td', {}, g.createdBy),
    el(
      'td',
      {},
      el(
        'button',
        {
          type: 'button',
          className: 'secondary rename',
          onclick: act(async () => {
            const name = prompt('New name', g.name);
            if (name) await api('PATCH', path, { name });
            await state.render();
          }),
        },
        'Rename',
      ),
      el(
        'button',
        {
          type: 'button',
          className: 'secondary delete',
          onclick: act(async () => {
            if (!confirm(`Delete ${g.name} (${g.number}) and its messages?`)) return;
            await api('DELETE', path);
            await state.render();
          }),
        },
        'Delete',
      ),
    ),
  );
}

async function viewGroupHistory(view, id) {
  const page = await api('GET', `/api/chat/groups/${id}/messages?limit=100`);
  const g = page.group;
  view.replaceChildren(
    el('p', {}, el('a', { href: '#groups' }, '← All groups')),
    el('h3', { id: 'groups-history-title' }, `${g.name} · ${g.number}`),
    el('p', { className: 'muted' }, `Members: ${g.members.join(', ') || 'none'}`),
    el('p', { id: 'groups-error', className: 'error' }),
    el(
      'table',
      { id: 'groups-history' },
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          ['When', 'From', 'Message', 'Delivery'].map((h) => el('th', {}, h)),
        ),
      ),
      el(
        'tbody',
        {},
        page.messages.map((m) =>
          el(
            'tr',
            { 'data-id': m.id },
            el('td', {}, time(m.createdAt)),
            el('td', {}, m.fromTel === 'pbx' ? 'PBX' : m.fromTel),
            el('td', { className: 'body' }, m.body),
            el(
              'td',
              {},
              (m.deliveries || []).map((d) =>
                el(
                  'span',
                  { className: `dlv ${d.state}`, 'data-tel': d.tel, 'data-state': d.state },
                  `${d.tel} ${d.state}${d.state === 'failed' && d.status ? ` (${d.status})` : ''}`,
                ),
              ),
            ),
          ),
        ),
      ),
    ),
  );
}
