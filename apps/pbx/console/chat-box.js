// The chat pane's message list, one-to-one and in groups: each message once (live events and a
// page fetch can both bring it), the user's own marked, a line of who/when under each.
import { $, el } from './dom.js';
import { state } from './state.js';

/** Draws `messages` into #chat-messages; `footnote(m)` gives the parts of the line under one. */
export function drawChatBox(messages, footnote) {
  const box = $('chat-messages');
  if (!box) return;
  const seen = new Set();
  const list = messages.filter((m) => !seen.has(m.id) && seen.add(m.id));
  box.replaceChildren(
    ...list.map((m) =>
      el(
        'div',
        {
          className: `msg ${m.fromTel === state.session.user ? 'mine' : ''}`,
          'data-from': m.fromTel,
        },
        m.body,
        el('small', {}, ...footnote(m)),
      ),
    ),
  );
  box.scrollTop = box.scrollHeight;
}
