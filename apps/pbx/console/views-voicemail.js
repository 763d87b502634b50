// A station user's voice mail: new messages first, each played in the page (the PBX serves the
// WAV to its owner's session), marked heard or deleted; the phone's message lamp follows. The
// greeting callers hear: played in the page, replaced by an uploaded WAV, reset to the default.
import { $, api, el, time } from './dom.js';

/** PUTs the chosen WAV file as the mailbox's greeting; the PBX checks it and says what is wrong. */
async function uploadGreeting(tel, file) {
  const res = await fetch(`/api/stations/${tel}/voicemail/greeting`, {
    method: 'PUT',
    credentials: 'same-origin',
    headers: { 'content-type': 'audio/wav' },
    body: file,
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(data.message || `HTTP ${res.status}`);
  return data;
}

function greetingSection(view, tel, greeting) {
  const run = (f) => async (e) => {
    e?.preventDefault?.();
    try {
      await f();
      await viewVoicemail(view);
    } catch (err) {
      $('vm-greeting-error').textContent = err.message;
    }
  };
  return el(
    'form',
    {
      id: 'vm-greeting',
      className: 'settings',
      onsubmit: run(async () => {
        const file = $('vm-greeting-file').files[0];
        if (!file) throw new Error('choose a WAV file first');
        await uploadGreeting(tel, file);
      }),
    },
    el('h3', {}, 'Greeting'),
    el(
      'p',
      { id: 'vm-greeting-state', 'data-greeting': greeting },
      greeting === 'own' ? 'Callers hear your own greeting.' : 'Callers hear the default greeting.',
    ),
    el('audio', {
      controls: true,
      preload: 'none',
      id: 'vm-greeting-audio',
      src: `/api/stations/${tel}/voicemail/greeting?v=${Date.now()}`,
    }),
    el(
      'div',
      { className: 'row' },
      el('input', { type: 'file', id: 'vm-greeting-file', accept: '.wav,audio/wav' }),
      el('button', { type: 'submit', id: 'vm-greeting-upload' }, 'Upload'),
      greeting === 'own'
        ? el(
            'button',
            {
              type: 'button',
              className: 'secondary',
              id: 'vm-greeting-reset',
              onclick: run(() => api('DELETE', `/api/stations/${tel}/voicemail/greeting`)),
            },
            'Use the default',
          )
        : null,
    ),
    el(
      'p',
      { className: 'muted' },
      'A WAV file: 16-bit PCM, mono, 8 or 16 kHz, 0.5 to 60 seconds.',
    ),
    el('p', { id: 'vm-greeting-error', className: 'error' }),
  );
}

export async function viewVoicemail(view) {
  const { tel, greeting, counts, messages } = await api('GET', '/api/me/voicemail');
  const act = async (method, path) => {
    try {
      await api(method, path);
      await viewVoicemail(view);
    } catch (err) {
      $('vm-error').textContent = err.message;
    }
  };
  view.replaceChildren(
    el(
      'div',
      { className: 'counts', id: 'vm-counts' },
      el('div', { id: 'vm-new' }, el('b', {}, counts.new), 'new'),
      el('div', { id: 'vm-old' }, el('b', {}, counts.old), 'heard'),
    ),
    messages.length === 0
      ? el('p', { className: 'muted', id: 'vm-empty' }, 'No voice mail.')
      : el(
          'table',
          { id: 'vm-table' },
          el(
            'thead',
            {},
            el(
              'tr',
              {},
              ['When', 'From', 'Length', '', ''].map((h) => el('th', {}, h)),
            ),
          ),
          el(
            'tbody',
            {},
            messages.map((m) =>
              el(
                'tr',
                {
                  'data-id': m.id,
                  'data-heard': m.heard ? 'yes' : 'no',
                  className: m.heard ? '' : 'new',
                },
                el(
                  'td',
                  {},
                  time(m.receivedAt),
                  m.heard ? '' : el('span', { className: 'tag dnd' }, 'new'),
                ),
                el('td', {}, m.callerName ? `${m.callerName} (${m.callerTel})` : m.callerTel),
                el('td', {}, `${Math.round(m.durationMs / 1000)} s`),
                el(
                  'td',
                  {},
                  el('audio', {
                    controls: true,
                    preload: 'none',
                    src: `/api/me/voicemail/${m.id}/audio`,
                  }),
                ),
                el(
                  'td',
                  { className: 'row' },
                  m.heard
                    ? null
                    : el(
                        'button',
                        {
                          type: 'button',
                          className: 'secondary vm-heard',
                          onclick: () => act('POST', `/api/me/voicemail/${m.id}/heard`),
                        },
                        'Mark heard',
                      ),
                  el(
                    'button',
                    {
                      type: 'button',
                      className: 'danger vm-delete',
                      onclick: () => act('DELETE', `/api/me/voicemail/${m.id}`),
                    },
                    'Delete',
                  ),
                ),
              ),
            ),
          ),
        ),
    el('p', { id: 'vm-error', className: 'error' }),
    greetingSection(view, tel, greeting),
  );
}
