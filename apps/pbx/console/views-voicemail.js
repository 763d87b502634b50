// A station user's voice mail: new messages first, each played in the page (the PBX serves the
// WAV to its owner's session), marked heard or deleted; the phone's message lamp follows.
import { $, api, el, time } from './dom.js';

export async function viewVoicemail(view) {
  const { counts, messages } = await api('GET', '/api/me/voicemail');
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
  );
}
