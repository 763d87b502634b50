// The console's shared state; `render` is set by app.js (views draw again through it).

export const state = {
  render: async () => undefined,
  session: null,
  tab: '',
  contacts: new Map(),
  /** External contacts (shared and the user's own). */
  externals: [],
  /** The click-to-call in progress: `{ ref, to, state, error? }`. */
  click: null,
  calls: new Map(),
  chatPeer: '',
  /** Chat groups the user is in; the one shown (id) and its messages; unread counts by id. */
  groups: [],
  chatGroup: null,
  groupMessages: [],
  groupNext: null,
  unread: new Map(),
  meNotice: '',
  messages: [],
  socket: null,
};

/** Builds an element; children are nodes or text (always text: never parsed as HTML). */

export const LAMP_TEXT = { idle: 'idle', ringing: 'ringing', busy: 'on the phone' };
