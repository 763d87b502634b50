// The administrator's billing page (#billing): accounts (create, remove, and at #billing/<id>
// the recent charges, a top-up and the statement), auth codes, and the rate table with its CSV
// import (pasted or from a file; the API names every bad line, shown beside the form). The same
// routes and checks as `pbx account`, `pbx authcode` and `pbx rate`.
import { api, el, time } from './dom.js';
import { adminTable, apiForm, confirmButton, errorBox, field, val } from './admin-forms.js';

/** Integer micro-units as a decimal amount (at least 2 decimals). */
export function money(micro) {
  const s = (micro / 1e6).toFixed(6).replace(/0{1,4}$/, '');
  return s;
}

export async function viewBilling(view, accountId) {
  const [accounts, codes, rates] = await Promise.all([
    api('GET', '/api/accounts'),
    api('GET', '/api/authcodes'),
    api('GET', '/api/rates'),
  ]);
  const account = accountId ? accounts.find((a) => a.id === accountId) : undefined;
  view.replaceChildren(
    el('h2', {}, 'Accounts'),
    accountsSection(accounts),
    ...(account ? [await accountDetail(account)] : []),
    el('h2', {}, 'Auth codes'),
    authCodesSection(codes, accounts),
    el('h2', {}, 'Rates'),
    ratesSection(rates),
  );
  if (account) document.getElementById('account-detail')?.scrollIntoView();
}

function accountsSection(accounts) {
  const box = errorBox('accounts-error');
  return el(
    'div',
    {},
    box,
    accounts.length === 0
      ? el('p', { className: 'muted', id: 'no-accounts' }, 'No accounts.')
      : adminTable(
          'accounts-table',
          ['Account', 'Name', 'Kind', 'Balance', 'Flat fee', ''],
          accounts.map((a) =>
            el(
              'tr',
              { 'data-id': a.id },
              el('td', {}, a.id),
              el('td', {}, a.name),
              el('td', {}, a.kind),
              el('td', {}, money(a.balance)),
              el('td', {}, a.kind === 'flat' ? money(a.flatFee) : ''),
              el(
                'td',
                { className: 'actions' },
                el(
                  'a',
                  { href: `#billing/${encodeURIComponent(a.id)}`, id: `account-open-${a.id}` },
                  'Charges & statement',
                ),
                ' ',
                confirmButton(
                  `account-remove-${a.id}`,
                  'Remove',
                  `Remove account ${a.id}?`,
                  async () => {
                    await api('DELETE', `/api/accounts/${encodeURIComponent(a.id)}`);
                    if (location.hash !== `#billing/${encodeURIComponent(a.id)}`) return true;
                    location.hash = '#billing';
                    return false;
                  },
                  box,
                ),
              ),
            ),
          ),
        ),
    apiForm(
      'account-form',
      [
        el('h3', {}, 'New account'),
        el(
          'div',
          { className: 'fields' },
          field(
            'Account id',
            {
              id: 'account-id',
              name: 'id',
              required: true,
              pattern: '[A-Za-z0-9_-]{1,32}',
              title: 'letters, digits, _ and -',
            },
            'A station number for a station’s own account',
          ),
          field('Name', { id: 'account-name', name: 'name', maxlength: 200 }),
          field('Kind', {
            tag: 'select',
            id: 'account-kind',
            name: 'kind',
            options: [
              ['prepaid', 'Prepaid'],
              ['postpaid', 'Postpaid'],
              ['flat', 'Flat fee'],
            ],
          }),
          field(
            'Flat fee',
            { id: 'account-fee', name: 'flatFee', inputmode: 'decimal' },
            'Flat accounts: the fee per period',
          ),
        ),
        el('button', { type: 'submit', id: 'account-add' }, 'Create account'),
      ],
      (form) =>
        api('POST', '/api/accounts', {
          id: val(form, 'id'),
          kind: val(form, 'kind'),
          name: val(form, 'name'),
          ...(val(form, 'flatFee') === '' ? {} : { flatFee: val(form, 'flatFee') }),
        }),
    ),
  );
}

async function accountDetail(a) {
  const id = encodeURIComponent(a.id);
  const detail = await api('GET', `/api/accounts/${id}`);
  const statement = el('div', { id: 'statement-box' });
  // <input type=date> values are the administrator's local days.
  const day = (ms) => {
    const d = new Date(ms);
    const two = (n) => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}`;
  };
  const midnight = (text) => new Date(`${text}T00:00`).getTime();
  const now = Date.now();
  return el(
    'section',
    { id: 'account-detail', className: 'panel' },
    el('h3', {}, `Account ${a.id}${a.name ? ` (${a.name})` : ''}: balance ${money(a.balance)}`),
    el('h4', {}, 'Recent charges and payments'),
    detail.ledger.length === 0
      ? el('p', { className: 'muted', id: 'no-ledger' }, 'Nothing posted yet.')
      : adminTable(
          'ledger-table',
          ['When', 'Amount', 'Call', 'Note'],
          detail.ledger.map((l) =>
            el(
              'tr',
              {},
              el('td', {}, time(l.at)),
              el('td', {}, money(l.amount)),
              el('td', {}, l.callRef ?? ''),
              el('td', {}, l.note),
            ),
          ),
        ),
    apiForm(
      'topup-form',
      [
        el(
          'div',
          { className: 'fields' },
          field(
            'Amount',
            { id: 'topup-amount', name: 'amount', required: true, inputmode: 'decimal' },
            'Negative: a correction',
          ),
          field('Note', { id: 'topup-note', name: 'note', maxlength: 200 }),
        ),
        el('button', { type: 'submit', id: 'topup-add' }, 'Top up'),
      ],
      (form) =>
        api('POST', `/api/accounts/${id}/topup`, {
          amount: val(form, 'amount'),
          ...(val(form, 'note') ? { note: val(form, 'note') } : {}),
        }),
    ),
    el('h4', {}, 'Statement'),
    apiForm(
      'statement-form',
      [
        el(
          'div',
          { className: 'fields' },
          field('From', {
            id: 'statement-since',
            name: 'since',
            type: 'date',
            required: true,
            value: day(now - 30 * 86400000),
          }),
          field('Until (including)', {
            id: 'statement-until',
            name: 'until',
            type: 'date',
            required: true,
            value: day(now),
          }),
        ),
        el('button', { type: 'submit', id: 'statement-show' }, 'Show statement'),
      ],
      async (form) => {
        const since = midnight(val(form, 'since'));
        const next = new Date(midnight(val(form, 'until')));
        next.setDate(next.getDate() + 1);
        const until = next.getTime();
        const href = `/api/accounts/${id}/statement?since=${since}&until=${until}`;
        const csv = await api('GET', href);
        statement.replaceChildren(
          el(
            'a',
            { href, download: `statement-${a.id}.csv`, id: 'statement-download' },
            'Download CSV',
          ),
          el('pre', { id: 'statement' }, csv),
        );
        return false;
      },
    ),
    statement,
  );
}

function authCodesSection(codes, accounts) {
  const box = errorBox('authcodes-error');
  return el(
    'div',
    {},
    box,
    codes.length === 0
      ? el('p', { className: 'muted', id: 'no-authcodes' }, 'No auth codes.')
      : adminTable(
          'authcodes-table',
          ['Code', 'Account', 'Note', ''],
          codes.map((c) =>
            el(
              'tr',
              { 'data-code': c.code },
              el('td', {}, c.code),
              el('td', {}, c.account),
              el('td', {}, c.note),
              el(
                'td',
                {},
                confirmButton(
                  `authcode-remove-${c.code}`,
                  'Remove',
                  `Remove auth code ${c.code}?`,
                  () => api('DELETE', `/api/authcodes/${c.code}`),
                  box,
                ),
              ),
            ),
          ),
        ),
    apiForm(
      'authcode-form',
      [
        el('h3', {}, 'New auth code'),
        el(
          'div',
          { className: 'fields' },
          field('Code', {
            id: 'authcode-code',
            name: 'code',
            required: true,
            inputmode: 'numeric',
            autocomplete: 'off',
            pattern: '\\d{2,12}',
            title: '2 to 12 digits',
          }),
          field('Account', {
            id: 'authcode-account',
            name: 'account',
            required: true,
            list: 'account-ids',
          }),
          el(
            'datalist',
            { id: 'account-ids' },
            accounts.map((a) => el('option', { value: a.id })),
          ),
          field('Note', { id: 'authcode-note', name: 'note', maxlength: 200 }),
        ),
        el('button', { type: 'submit', id: 'authcode-add' }, 'Add auth code'),
      ],
      (form) =>
        api('POST', '/api/authcodes', {
          code: val(form, 'code'),
          account: val(form, 'account'),
          ...(val(form, 'note') ? { note: val(form, 'note') } : {}),
        }),
    ),
  );
}

function ratesSection(rates) {
  const text = el('textarea', {
    id: 'rates-csv',
    name: 'csv',
    rows: 6,
    required: true,
    placeholder: 'prefix,per_minute,minimum,increment,setup_fee\n0,0.05,60,60,0',
  });
  const file = el('input', {
    id: 'rates-file',
    type: 'file',
    accept: '.csv,text/csv,text/plain',
    onchange: async () => {
      const f = file.files?.[0];
      if (f) text.value = await f.text();
    },
  });
  return el(
    'div',
    {},
    rates.length === 0
      ? el('p', { className: 'muted', id: 'no-rates' }, 'No rates: calls are not charged.')
      : adminTable(
          'rates-table',
          ['Prefix', 'Per minute', 'Minimum (s)', 'Increment (s)', 'Setup fee'],
          rates.map((r) =>
            el(
              'tr',
              { 'data-prefix': r.prefix },
              el('td', {}, r.prefix || '(any)'),
              el('td', {}, money(r.perMinute)),
              el('td', {}, r.minSeconds),
              el('td', {}, r.incrementSeconds),
              el('td', {}, money(r.setupFee)),
            ),
          ),
        ),
    apiForm(
      'rates-form',
      [
        el('h3', {}, 'Import a rate table'),
        el(
          'p',
          { className: 'muted' },
          'The import replaces the whole table. One line per prefix: prefix, price per minute, minimum seconds, increment seconds, setup fee.',
        ),
        el('label', {}, 'CSV file', file),
        el('label', {}, 'or paste the CSV', text),
        el('button', { type: 'submit', id: 'rates-import' }, 'Import'),
      ],
      async () => {
        const r = await api('PUT', '/api/rates', { csv: text.value });
        return r;
      },
    ),
  );
}
