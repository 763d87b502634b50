// The administrator's views: phone status board, live calls, stations, call records.
import { $, api, el, time } from './dom.js';
import { state } from './state.js';
// ---------------------------------------------------------------------------------------------
// Administrator views.

export async function viewStatus(view) {
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

export async function viewCalls(view) {
  const list = await api('GET', '/api/calls');
  state.calls = new Map(list.map((c) => [c.ref, c]));
  view.replaceChildren(el('div', { id: 'calls-box' }));
  drawCalls();
}

export function drawCalls() {
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

export async function viewStations(view) {
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

export async function viewRecords(view) {
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
