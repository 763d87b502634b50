// The administrator's number plan page (#plan): feature codes (change, clear, reset to the
// default) and ring groups (create, edit at #plan/<number>, delete), through the same API routes
// as `pbx numplan` and `pbx group`, whose checks and messages show inline.
import { api, el } from './dom.js';
import {
  adminTable,
  apiForm,
  confirmButton,
  errorBox,
  field,
  list,
  showError,
  val,
} from './admin-forms.js';
import { state } from './state.js';

export async function viewPlan(view, editing) {
  const [codes, groups] = await Promise.all([
    api('GET', '/api/numplan'),
    api('GET', '/api/groups'),
  ]);
  const group = editing ? groups.find((g) => g.number === editing) : undefined;
  view.replaceChildren(
    el('h2', {}, 'Ring groups'),
    groupsTable(groups),
    group ? groupEditForm(group) : groupCreateForm(),
    el('h2', { id: 'feature-codes' }, 'Feature codes'),
    el(
      'p',
      { className: 'muted' },
      'A code may not clash with a station, a ring group or another code.',
    ),
    codesTable(codes),
  );
  if (group) document.getElementById('group-name')?.focus();
}

function overflowText(g) {
  if (!g.voicemail) return 'none';
  return `mailbox ${g.voicemail} after ${g.voicemailAfter === null ? 'the no-answer time' : `${g.voicemailAfter} s`}`;
}

function groupsTable(groups) {
  const box = errorBox('groups-error');
  return el(
    'div',
    {},
    box,
    groups.length === 0
      ? el('p', { className: 'muted', id: 'no-groups' }, 'No ring groups.')
      : adminTable(
          'ring-groups-table',
          ['Number', 'Name', 'Members (ring order)', 'Voice-mail overflow', ''],
          groups.map((g) =>
            el(
              'tr',
              { 'data-number': g.number },
              el('td', {}, g.number),
              el('td', {}, g.name),
              el('td', {}, g.members.join(', ')),
              el('td', {}, overflowText(g)),
              el(
                'td',
                { className: 'actions' },
                el(
                  'a',
                  {
                    href: `#plan/${g.number}`,
                    id: `group-edit-${g.number}`,
                    'aria-label': `Edit ring group ${g.number}`,
                  },
                  'Edit',
                ),
                ' ',
                confirmButton(
                  `group-delete-${g.number}`,
                  'Delete',
                  `Delete ring group ${g.number}?`,
                  async () => {
                    await api('DELETE', `/api/groups/${g.number}`);
                    if (location.hash !== `#plan/${g.number}`) return true;
                    location.hash = '#plan';
                    return false;
                  },
                  box,
                ),
              ),
            ),
          ),
        ),
  );
}

const MEMBERS_HINT = 'Station numbers in ring order, separated by commas.';

/**
 * A refusal of the overflow of a group just created (the API creates a group and sets its
 * overflow in two steps): shown on the group's edit form, where it can be corrected.
 */
let carried = null;

function overflowFields(g) {
  return [
    field(
      'Voice-mail overflow to the mailbox of station',
      {
        id: 'group-voicemail',
        name: 'voicemail',
        inputmode: 'numeric',
        value: g?.voicemail ?? '',
      },
      'Empty: no overflow; the caller keeps ringing.',
    ),
    field(
      'Overflow after (seconds)',
      {
        id: 'group-voicemail-after',
        name: 'voicemailAfter',
        type: 'number',
        min: 1,
        max: 600,
        value: g?.voicemailAfter ?? '',
      },
      "Empty: the system's no-answer time.",
    ),
  ];
}

function groupCreateForm() {
  return apiForm(
    'group-form',
    [
      el('h3', {}, 'New ring group'),
      el(
        'div',
        { className: 'fields' },
        field('Number', {
          id: 'group-number',
          name: 'number',
          required: true,
          inputmode: 'numeric',
          pattern: '\\d{1,8}',
          title: '1 to 8 digits',
        }),
        field('Name', { id: 'group-name', name: 'name', maxlength: 64 }),
        field('Members', { id: 'group-members', name: 'members' }, MEMBERS_HINT),
        overflowFields(null),
      ),
      el('button', { type: 'submit', id: 'group-save' }, 'Create group'),
    ],
    async (form) => {
      const number = val(form, 'number');
      await api('POST', '/api/groups', {
        number,
        name: val(form, 'name'),
        members: list(form, 'members'),
      });
      const voicemail = val(form, 'voicemail');
      const after = val(form, 'voicemailAfter');
      if (voicemail === '' && after === '') return undefined;
      try {
        await api('PATCH', `/api/groups/${number}`, {
          ...(voicemail === '' ? {} : { voicemail }),
          ...(after === '' ? {} : { voicemailAfter: Number(after) }),
        });
      } catch (err) {
        carried = err;
        location.hash = `#plan/${number}`;
        return false;
      }
      return undefined;
    },
  );
}

function groupEditForm(g) {
  const form = apiForm(
    'group-form',
    [
      el('h3', {}, `Edit ring group ${g.number}`),
      el(
        'div',
        { className: 'fields' },
        field('Name', { id: 'group-name', name: 'name', maxlength: 64, value: g.name }),
        field(
          'Members',
          { id: 'group-members', name: 'members', value: g.members.join(', ') },
          MEMBERS_HINT,
        ),
        overflowFields(g),
      ),
      el(
        'div',
        { className: 'toolbar' },
        el('button', { type: 'submit', id: 'group-save' }, 'Save'),
        el('a', { href: '#plan', id: 'group-cancel' }, 'Cancel'),
      ),
    ],
    async (f) => {
      const after = val(f, 'voicemailAfter');
      await api('PATCH', `/api/groups/${g.number}`, {
        name: val(f, 'name'),
        members: list(f, 'members'),
        voicemail: val(f, 'voicemail') || null,
        voicemailAfter: after === '' ? null : Number(after),
      });
      location.hash = '#plan';
      return false;
    },
  );
  if (carried) {
    const err = carried;
    carried = null;
    showError(form.querySelector('#group-form-error'), {
      ...err,
      message: `Ring group ${g.number} was created, but its voice-mail overflow was not set: ${err.message}`,
      issues: err.issues,
    });
  }
  return form;
}

function codesTable(codes) {
  return adminTable(
    'codes-table',
    ['Feature', 'Code', 'Default', 'Dial', 'Description'],
    codes.map((c) => {
      const box = errorBox(`code-error-${c.feature}`);
      const act = async (method, path, body) => {
        box.replaceChildren();
        try {
          await api(method, path, body);
          await state.render();
        } catch (err) {
          showError(box, err);
        }
      };
      const inputId = `code-${c.feature}`;
      return el(
        'tr',
        { 'data-feature': c.feature, className: c.changed ? 'changed' : '' },
        el('td', {}, c.officeServName ? `${c.feature} (${c.officeServName})` : c.feature),
        el(
          'td',
          {},
          el(
            'form',
            {
              className: 'code-form',
              id: `code-form-${c.feature}`,
              onsubmit: (e) => {
                e.preventDefault();
                const code = document.getElementById(inputId).value.trim();
                void act('PUT', `/api/numplan/${c.feature}`, { code });
              },
            },
            el('label', { for: inputId, className: 'sr-only' }, `Code of ${c.feature}`),
            el('input', {
              id: inputId,
              name: 'code',
              value: c.code ?? '',
              placeholder: '(unassigned)',
              required: true,
              inputmode: 'numeric',
              size: 6,
            }),
            el(
              'button',
              {
                type: 'submit',
                id: `code-save-${c.feature}`,
                'aria-label': `Set the code of ${c.feature}`,
              },
              'Set',
            ),
            el(
              'button',
              {
                type: 'button',
                className: 'secondary',
                id: `code-clear-${c.feature}`,
                'aria-label': `Clear the code of ${c.feature}`,
                disabled: c.code === null,
                onclick: () => act('DELETE', `/api/numplan/${c.feature}`),
              },
              'Clear',
            ),
            el(
              'button',
              {
                type: 'button',
                className: 'secondary',
                id: `code-reset-${c.feature}`,
                'aria-label': `Reset to its default the code of ${c.feature}`,
                disabled: !c.changed,
                onclick: () => act('POST', `/api/numplan/${c.feature}/reset`),
              },
              'Reset',
            ),
          ),
          box,
        ),
        el('td', {}, c.defaultCode ?? '(none)'),
        el('td', {}, c.dial),
        el('td', {}, c.description),
      );
    }),
  );
}
