// The console's shared state; `render` is set by app.js (views draw again through it).

export const state = {
  render: async () => undefined,
  session: null,
  tab: '',
  contacts: new Map(),
  calls: new Map(),
  chatPeer: '',
  meNotice: '',
  messages: [],
  socket: null,
};

/** Builds an element; children are nodes or text (always text: never parsed as HTML). */

export const LAMP_TEXT = { idle: 'idle', ringing: 'ringing', busy: 'on the phone' };
