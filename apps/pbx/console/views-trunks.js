// The administrator's trunks page (#trunks): the providers with their registration state, add,
// edit at #trunks/<name> (settings, DIDs, LCR routes) and remove, through the routes of
// `pbx trunk`. The password is write-only: the API never returns it, the form only says whether
// one is stored, and an empty password field keeps it.
import { api, el, time } from './dom.js';
import { adminTable, apiForm, confirmButton, errorBox, field, val } from './admin-forms.js';
import { state } from './state.js';

/**
 * How often the registration states are read again while the page is open. The event stream
 * has no trunk topic; a light poll of one GET keeps the column current without redrawing the
 * forms (only the state cells change).
 */
const STATE_POLL_MS = 3000;
let pollTimer;

const TEXT_FIELDS = [
  // [name, label, attributes, hint]
  ['host', 'Provider host', { required: true }, 'Name or IP address of the provider'],
  ['port', 'Port', { type: 'number', min: 1, max: 65535 }],
  ['outboundProxy', 'Outbound proxy', {}, 'host[:port]; empty for none'],
  ['username', 'Account (user name)', { autocomplete: 'off' }],
  ['authUser', 'Authentication user', { autocomplete: 'off' }, 'Empty: the account'],
  ['realm', 'Realm', {}, "Empty: the challenge's realm"],
  ['domain', 'Domain', {}, 'Empty: the host'],
  ['expires', 'Registration time (s)', { type: 'number', min: 60, max: 86400 }],
  [
    'callerId',
    'Caller ID',
    { inputmode: 'tel' },
    'Number shown to the provider; empty: the account',
  ],
  ['maxChannels', 'Channels', { type: 'number', min: 0 }, '0: unlimited'],
  ['codecs', 'Codecs', {}, 'In preference order, e.g. PCMU, PCMA'],
  ['inboundAddresses', 'Inbound addresses', {}, 'Further IPs/CIDRs the provider calls from'],
];
const CHECKS = [
  ['enabled', 'Enabled'],
  ['register', 'Register (digest); off: IP-authenticated'],
  ['anonymous', 'Hide the caller (anonymous)'],
];

const shown = (t, name) =>
  Array.isArray(t[name]) ? t[name].join(', ') : t[name] === undefined ? '' : String(t[name]);

export async function viewTrunks(view, editing) {
  const trunks = await api('GET', '/api/trunks');
  const trunk = editing ? trunks.find((t) => t.name === editing) : undefined;
  const box = errorBox('trunks-error');
  view.replaceChildren(
    el('h2', {}, 'Trunks'),
    box,
    trunks.length === 0
      ? el('p', { className: 'muted', id: 'no-trunks' }, 'No trunks.')
      : adminTable(
          'trunks-table',
          ['Name', 'State', 'Provider', 'Caller ID', 'DIDs', 'Routes', ''],
          trunks.map((t) => trunkRow(t, box)),
        ),
    trunkForm(trunk ?? null),
    ...(trunk ? [didsSection(trunk), routesSection(trunk)] : []),
  );
  if (trunk) document.getElementById('trunk-host')?.focus();
  clearTimeout(pollTimer);
  pollTimer = setTimeout(pollStates, STATE_POLL_MS);
}

async function pollStates() {
  if (state.tab !== 'trunks' || !state.session) return;
  try {
    for (const t of await api('GET', '/api/trunks')) {
      const cell = document.querySelector(`#trunks-table tr[data-name="${t.name}"] td.trunk-state`);
      cell?.replaceChildren(stateTag(t));
    }
  } catch {
    return; // Logged out or the PBX stopped: the next visit starts again.
  }
  clearTimeout(pollTimer);
  pollTimer = setTimeout(pollStates, STATE_POLL_MS);
}

const stateTag = (t) =>
  el(
    'span',
    {
      className: `tag ${t.status?.state === 'registered' ? '' : 'off'}`,
      'data-state': t.status?.state ?? '',
    },
    stateText(t),
  );

function stateText(t) {
  if (!t.enabled) return 'disabled';
  if (!t.status) return t.register ? 'not registered yet' : 'IP trunk';
  const s = t.status;
  const until = s.untilAt
    ? ` (${s.state === 'registered' ? 'until' : 'retry'} ${time(s.untilAt)})`
    : '';
  return `${s.state}${until}${s.lastError ? `: ${s.lastError}` : ''}`;
}

function trunkRow(t, box) {
  const name = encodeURIComponent(t.name);
  return el(
    'tr',
    { 'data-name': t.name },
    el('td', {}, t.name),
    el('td', { className: 'trunk-state' }, stateTag(t)),
    el(
      'td',
      {},
      `${t.host}:${t.port} ${t.transport.toUpperCase()}${t.username ? ` as ${t.username}` : ''}`,
    ),
    el('td', {}, t.anonymous ? 'anonymous' : t.callerId || t.username),
    el('td', {}, t.dids.map((d) => `${d.did} → ${d.target || 'operator'}`).join(', ')),
    el('td', {}, t.routes.map((r) => `${r.prefix || 'any'} (priority ${r.priority})`).join(', ')),
    el(
      'td',
      { className: 'actions' },
      el(
        'a',
        {
          href: `#trunks/${name}`,
          id: `trunk-edit-${t.name}`,
          'aria-label': `Edit trunk ${t.name}`,
        },
        'Edit',
      ),
      ' ',
      confirmButton(
        `trunk-remove-${t.name}`,
        'Remove',
        `Remove trunk ${t.name} with its DIDs and routes?`,
        async () => {
          await api('DELETE', `/api/trunks/${name}`);
          if (location.hash !== `#trunks/${name}`) return true;
          location.hash = '#trunks';
          return false;
        },
        box,
      ),
    ),
  );
}

/** The settings form: add (t null) or edit. An edit sends only what changed. */
function trunkForm(t) {
  const values = t ?? {};
  return apiForm(
    'trunk-form',
    [
      el('h3', {}, t ? `Edit trunk ${t.name}` : 'New trunk'),
      el(
        'div',
        { className: 'fields' },
        t
          ? null
          : field('Name', {
              id: 'trunk-name',
              name: 'name',
              required: true,
              pattern: '[a-z0-9_-]{1,32}',
              title: 'lower-case letters, digits, - and _',
            }),
        TEXT_FIELDS.map(([name, label, attrs, hint]) =>
          field(label, { id: `trunk-${name}`, name, value: shown(values, name), ...attrs }, hint),
        ),
        field('Transport', {
          tag: 'select',
          id: 'trunk-transport',
          name: 'transport',
          value: values.transport ?? 'udp',
          options: [
            ['udp', 'UDP'],
            ['tcp', 'TCP'],
            ['tls', 'TLS'],
          ],
        }),
        field(
          'Password',
          {
            id: 'trunk-password',
            name: 'password',
            type: 'password',
            autocomplete: 'new-password',
            placeholder: t?.hasPassword ? '(stored; empty keeps it)' : '',
          },
          t ? (t.hasPassword ? 'A password is stored.' : 'No password stored.') : undefined,
        ),
        CHECKS.map(([name, label]) =>
          field(label, {
            id: `trunk-${name}`,
            name,
            type: 'checkbox',
            checked: t ? t[name] : name !== 'anonymous',
          }),
        ),
        t
          ? null
          : field(
              'DIDs',
              { tag: 'textarea', id: 'trunk-dids', name: 'dids', rows: 3 },
              'One per line: number=station or group (empty target: the operator)',
            ),
      ),
      el(
        'div',
        { className: 'toolbar' },
        el('button', { type: 'submit', id: 'trunk-save' }, t ? 'Save' : 'Add trunk'),
        t ? el('a', { href: '#trunks', id: 'trunk-cancel' }, 'Cancel') : null,
      ),
    ],
    async (form) => {
      const body = {};
      for (const [name] of TEXT_FIELDS) {
        const v = val(form, name);
        if (t ? v !== shown(t, name) : v !== '') body[name] = v;
      }
      if (!t || form.elements.transport.value !== t.transport)
        body.transport = form.elements.transport.value;
      for (const [name] of CHECKS) {
        const on = form.elements[name].checked;
        if (!t || on !== t[name]) body[name] = on;
      }
      // Write-only: sent when typed, never filled in.
      if (form.elements.password.value !== '') body.password = form.elements.password.value;
      if (t) {
        await api('PATCH', `/api/trunks/${encodeURIComponent(t.name)}`, body);
        location.hash = '#trunks';
        return false;
      }
      body.name = val(form, 'name');
      body.dids = val(form, 'dids')
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l !== '')
        .map((l) => {
          const [did, target = ''] = l.split('=').map((s) => s.trim());
          return { did, target };
        });
      await api('POST', '/api/trunks', body);
      return undefined;
    },
  );
}

function didsSection(t) {
  const name = encodeURIComponent(t.name);
  const box = errorBox('dids-error');
  return el(
    'section',
    { id: 'trunk-dids-section' },
    el('h3', {}, `DIDs of ${t.name}`),
    box,
    adminTable(
      'dids-table',
      ['DID', 'Rings', ''],
      t.dids.map((d) =>
        el(
          'tr',
          { 'data-did': d.did },
          el('td', {}, d.did),
          el('td', {}, d.target || 'the operator'),
          el(
            'td',
            {},
            confirmButton(
              `did-remove-${d.did}`,
              'Remove',
              `Remove DID ${d.did}?`,
              () => api('DELETE', `/api/trunks/${name}/dids/${encodeURIComponent(d.did)}`),
              box,
            ),
          ),
        ),
      ),
    ),
    apiForm(
      'did-form',
      [
        el(
          'div',
          { className: 'fields' },
          field('DID', { id: 'did-number', name: 'did', required: true, inputmode: 'tel' }),
          field(
            'Station or group',
            { id: 'did-target', name: 'target', inputmode: 'numeric' },
            'Empty: the operator',
          ),
        ),
        el('button', { type: 'submit', id: 'did-add' }, 'Add DID'),
      ],
      (form) =>
        api('PUT', `/api/trunks/${name}/dids/${encodeURIComponent(val(form, 'did'))}`, {
          target: val(form, 'target'),
        }),
    ),
  );
}

function routesSection(t) {
  const name = encodeURIComponent(t.name);
  const box = errorBox('routes-error');
  return el(
    'section',
    { id: 'trunk-routes-section' },
    el('h3', {}, `Outgoing routes (LCR) through ${t.name}`),
    box,
    adminTable(
      'routes-table',
      ['Prefix', 'Priority', 'Strip', 'Prepend', ''],
      t.routes.map((r) =>
        el(
          'tr',
          { 'data-prefix': r.prefix || 'any' },
          el('td', {}, r.prefix || 'any'),
          el('td', {}, r.priority),
          el('td', {}, r.strip),
          el('td', {}, r.addPrefix),
          el(
            'td',
            {},
            confirmButton(
              `route-remove-${r.prefix || 'any'}`,
              'Remove',
              `Remove route ${r.prefix || 'any'}?`,
              () =>
                api(
                  'DELETE',
                  `/api/trunks/${name}/routes/${encodeURIComponent(r.prefix || 'any')}`,
                ),
              box,
            ),
          ),
        ),
      ),
    ),
    apiForm(
      'route-form',
      [
        el(
          'div',
          { className: 'fields' },
          field(
            'Prefix',
            { id: 'route-prefix', name: 'prefix', required: true, inputmode: 'tel' },
            '"any" matches every number',
          ),
          field('Priority', { id: 'route-priority', name: 'priority', type: 'number', min: 0 }),
          field('Strip digits', { id: 'route-strip', name: 'strip', type: 'number', min: 0 }),
          field('Prepend', { id: 'route-prepend', name: 'prepend', inputmode: 'tel' }),
        ),
        el('button', { type: 'submit', id: 'route-add' }, 'Add route'),
      ],
      (form) => {
        const body = {};
        for (const k of ['priority', 'strip', 'prepend'])
          if (val(form, k) !== '') body[k] = val(form, k);
        return api(
          'PUT',
          `/api/trunks/${name}/routes/${encodeURIComponent(val(form, 'prefix'))}`,
          body,
        );
      },
    ),
  );
}
