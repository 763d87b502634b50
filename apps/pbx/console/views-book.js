// The contact book: every station with its live lamp and status, plus the external contacts
// (shared ones from the administrator, the user's personal ones), searched together; a click
// on Call has the PBX ring the user's own phone first and then the contact (click to call).
import { $, api, el } from './dom.js';
import { LAMP_TEXT, state } from './state.js';

const isUser = () => state.session.role === 'station';

export async function viewContacts(view) {
  const [stations, externals] = await Promise.all([
    api('GET', '/api/contacts'),
    api('GET', '/api/external-contacts'),
  ]);
  state.contacts = new Map(stations.map((c) => [c.tel, c]));
  state.externals = externals;
  view.replaceChildren(
    el(
      'div',
      { className: 'toolbar' },
      el('input', {
        id: 'contact-search',
        type: 'search',
        placeholder: 'Search name, number or notes',
        oninput: drawContacts,
      }),
    ),
    el('p', { id: 'call-status', className: 'muted', role: 'status' }),
    el('div', { id: 'contact-cards', className: 'cards' }),
    el('h3', {}, isUser() ? 'Add a personal contact' : 'Add a shared contact'),
    el(
      'form',
      { id: 'contact-form', className: 'row', onsubmit: addContact },
      el('input', { id: 'contact-name', placeholder: 'Name', maxlength: 100, required: true }),
      el('input', {
        id: 'contact-number',
        placeholder: 'Number (with the trunk code)',
        inputmode: 'tel',
        maxlength: 32,
        required: true,
      }),
      el('input', { id: 'contact-notes', placeholder: 'Notes', maxlength: 1000 }),
      el('button', { type: 'submit', id: 'contact-add' }, 'Add'),
    ),
    el('p', { id: 'contact-error', className: 'error' }),
  );
  drawContacts();
  drawCallStatus();
}

function callButton(number, name, id) {
  if (!isUser() || number === state.session.user) return null;
  return el(
    'button',
    { type: 'button', id, className: 'call', onclick: () => void clickToCall(number, name) },
    'Call',
  );
}

export function drawContacts() {
  const box = $('contact-cards');
  if (!box) return;
  const q = ($('contact-search')?.value || '').trim().toLowerCase();
  const hit = (...fields) => !q || fields.some((f) => (f || '').toLowerCase().includes(q));
  const stations = [...state.contacts.values()]
    .filter((c) => hit(c.tel, c.name, c.statusText))
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
        isUser() && c.tel !== state.session.user
          ? el(
              'div',
              { className: 'row' },
              callButton(c.tel, c.name, `call-${c.tel}`),
              el('a', { href: `#chat/${c.tel}` }, 'Chat'),
            )
          : null,
      ),
    );
  const externals = (state.externals || [])
    .filter((c) => hit(c.name, c.number, c.notes))
    .map((c) =>
      el(
        'div',
        { className: 'card external', id: `ext-${c.id}`, 'data-number': c.number },
        el(
          'div',
          {},
          el('span', { className: 'name' }, c.name),
          ' ',
          el('span', { className: 'muted' }, c.number),
        ),
        el(
          'div',
          { className: 'row' },
          el('span', { className: 'tag' }, c.shared ? 'shared' : 'personal'),
        ),
        c.notes ? el('div', { className: 'muted notes' }, c.notes) : null,
        el(
          'div',
          { className: 'row' },
          callButton(c.number, c.name, `call-ext-${c.id}`),
          c.shared !== isUser()
            ? el(
                'button',
                {
                  type: 'button',
                  className: 'secondary',
                  id: `ext-remove-${c.id}`,
                  onclick: () => void removeContact(c.id),
                },
                'Remove',
              )
            : null,
        ),
      ),
    );
  box.replaceChildren(...stations, ...externals);
  if (stations.length + externals.length === 0)
    box.append(el('p', { className: 'muted', id: 'no-contacts' }, 'No contact matches.'));
}

async function addContact(e) {
  e.preventDefault();
  const notes = $('contact-notes').value.trim();
  try {
    await api('POST', '/api/external-contacts', {
      name: $('contact-name').value.trim(),
      number: $('contact-number').value.replace(/[\s().-]/g, ''),
      ...(notes ? { notes } : {}),
    });
    state.externals = await api('GET', '/api/external-contacts');
    for (const id of ['contact-name', 'contact-number', 'contact-notes']) $(id).value = '';
    $('contact-error').textContent = '';
    drawContacts();
  } catch (err) {
    $('contact-error').textContent = err.message;
  }
}

async function removeContact(id) {
  try {
    await api('DELETE', `/api/external-contacts/${id}`);
    state.externals = state.externals.filter((c) => c.id !== id);
    drawContacts();
  } catch (err) {
    $('contact-error').textContent = err.message;
  }
}

// ---------------------------------------------------------------------------------------------
// Click to call: the status line follows the call's events.

async function clickToCall(number, name) {
  state.click = { ref: '', to: name ? `${name} (${number})` : number, state: 'placing' };
  drawCallStatus();
  try {
    const call = await api('POST', '/api/me/calls', { to: number, ...(name ? { name } : {}) });
    state.click = { ...state.click, ref: call.ref, state: 'ringing-me' };
    // The event stream may have told the call's progress before this answer came.
    const known = recent.get(call.ref);
    if (known) clickCallEvent(known);
  } catch (err) {
    state.click = { ...state.click, state: 'failed', error: err.message };
  }
  drawCallStatus();
}

/** The last event of recent calls, for a click-to-call whose answer comes after its events. */
const recent = new Map();

/** A call event: moves the click-to-call status line on. */
export function clickCallEvent(call) {
  recent.delete(call.ref);
  recent.set(call.ref, call);
  if (recent.size > 50) recent.delete(recent.keys().next().value);
  const c = state.click;
  if (!c || c.ref !== call.ref) return;
  if (call.state === 'ended') c.state = 'ended';
  else if (call.state === 'connected') c.state = call.answeredAt ? 'connected' : 'ringing-them';
  else {
    // Ringing: first the user's own phone, then (once it answered) the contact's.
    const mine = call.legs.find((l) => l.station === state.session.user);
    c.state = mine && mine.state === 'answered' ? 'ringing-them' : 'ringing-me';
  }
  drawCallStatus();
}

const CALL_TEXT = {
  placing: (to) => `Calling ${to}…`,
  'ringing-me': (to) => `Your phone is ringing: answer it to be connected to ${to}.`,
  'ringing-them': (to) => `Calling ${to}…`,
  connected: (to) => `Connected to ${to}.`,
  ended: (to) => `Call with ${to} ended.`,
};

function drawCallStatus() {
  const box = $('call-status');
  const c = state.click;
  if (!box || !c) return;
  box.className = c.state === 'failed' ? 'error' : 'muted';
  box.dataset.state = c.state;
  const live = c.ref && c.state !== 'ended' && c.state !== 'failed';
  const text =
    c.state === 'failed' ? `Could not call ${c.to}: ${c.error}` : CALL_TEXT[c.state](c.to);
  box.replaceChildren(text);
  if (live)
    box.append(
      ' ',
      el(
        'button',
        {
          type: 'button',
          id: 'call-hangup',
          className: 'danger',
          onclick: () => void api('DELETE', `/api/calls/${c.ref}`).catch(() => undefined),
        },
        'Hang up',
      ),
    );
}
