// The administrator's system page: feature codes, ring groups, IP white list, blocked addresses,
// the access log and the system options.
import { $, api, el, time } from './dom.js';
import { state } from './state.js';

const table = (id, heads, rows) =>
  el(
    'table',
    { id },
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        heads.map((h) => el('th', {}, h)),
      ),
    ),
    el('tbody', {}, rows),
  );

export async function viewSystem(view) {
  const [plan, groups, whitelist, blocks, access, options] = await Promise.all([
    api('GET', '/api/numplan'),
    api('GET', '/api/groups'),
    api('GET', '/api/whitelist'),
    api('GET', '/api/blocks'),
    api('GET', '/api/access-log?limit=50'),
    api('GET', '/api/config'),
  ]);
  const act = async (method, path, body) => {
    try {
      await api(method, path, body);
      await state.render();
    } catch (err) {
      $('system-error').textContent = err.message;
    }
  };
  view.replaceChildren(
    el('p', { id: 'system-error', className: 'error' }),
    el('h2', {}, 'Feature codes'),
    table(
      'numplan-table',
      ['Code', 'Feature', 'Dial', 'Description'],
      plan.map((r) =>
        el(
          'tr',
          {},
          el('td', {}, r.code ?? '(unassigned)'),
          el('td', {}, r.officeServName ? `${r.feature} (${r.officeServName})` : r.feature),
          el('td', {}, r.dial),
          el('td', {}, r.description),
        ),
      ),
    ),
    el('h2', {}, 'Ring groups'),
    table(
      'groups-table',
      ['Number', 'Name', 'Members'],
      groups.map((g) =>
        el(
          'tr',
          {},
          el('td', {}, g.number),
          el('td', {}, g.name),
          el('td', {}, g.members.join(', ')),
        ),
      ),
    ),
    el('h2', {}, 'IP white list'),
    el(
      'form',
      {
        className: 'toolbar',
        onsubmit: (e) => {
          e.preventDefault();
          void act('POST', '/api/whitelist', { entry: $('whitelist-entry').value.trim() });
        },
      },
      el('input', { id: 'whitelist-entry', placeholder: 'IP, CIDR or broadcast address' }),
      el('button', { type: 'submit', id: 'whitelist-add' }, 'Add'),
    ),
    table(
      'whitelist-table',
      ['Entry', 'Note', 'Added', ''],
      whitelist.map((w) =>
        el(
          'tr',
          {},
          el('td', {}, w.cidr),
          el('td', {}, w.note),
          el('td', {}, time(w.createdAt)),
          el(
            'td',
            {},
            el(
              'button',
              {
                className: 'secondary',
                onclick: () => act('DELETE', `/api/whitelist/${encodeURIComponent(w.cidr)}`),
              },
              'Remove',
            ),
          ),
        ),
      ),
    ),
    el('h2', {}, 'Blocked addresses'),
    table(
      'blocks-table',
      ['IP', 'Until', 'Reason', ''],
      blocks.map((b) =>
        el(
          'tr',
          {},
          el('td', {}, b.ip),
          el('td', {}, time(b.blockedUntil)),
          el('td', {}, b.reason),
          el(
            'td',
            {},
            el(
              'button',
              { className: 'secondary', onclick: () => act('DELETE', `/api/blocks/${b.ip}`) },
              'Unblock',
            ),
          ),
        ),
      ),
    ),
    el('h2', {}, 'Access log'),
    table(
      'access-table',
      ['When', 'IP', 'Caller ID', 'Reason'],
      access.map((a) =>
        el(
          'tr',
          {},
          el('td', {}, time(a.at)),
          el('td', {}, a.port ? `${a.ip}:${a.port}` : a.ip),
          el('td', {}, a.callerId),
          el('td', {}, a.reason),
        ),
      ),
    ),
    el('h2', {}, 'System options'),
    table(
      'options-table',
      ['Option', 'Value', 'Description'],
      options.map((o) =>
        el(
          'tr',
          {},
          el('td', {}, o.key),
          el('td', {}, o.value === null ? '' : String(o.value)),
          el('td', {}, `${o.description}${o.restart ? ' (restart)' : ''}`),
        ),
      ),
    ),
  );
}
