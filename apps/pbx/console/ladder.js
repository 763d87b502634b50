// The per-call SIP ladder diagram (SVG), drawn from the messages the PBX kept for the call.
import { api, el } from './dom.js';

export async function viewLadder(view, ref) {
  const { messages, peers: names } = await api(
    'GET',
    `/api/calls/${encodeURIComponent(ref)}/ladder`,
  );
  const peers = [];
  for (const m of messages) if (!peers.includes(m.peer)) peers.push(m.peer);
  const columns = [peers[0], 'PBX', ...peers.slice(1)].filter(Boolean);
  const colX = (name) => 90 + columns.indexOf(name) * 220;
  const width = Math.max(400, colX(columns[columns.length - 1]) + 110);
  const rowH = 28;
  const height = 60 + messages.length * rowH;
  const NS = 'http://www.w3.org/2000/svg';
  const svg = (tag, attrs, text) => {
    const n = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, String(v));
    if (text !== undefined) n.textContent = text;
    return n;
  };
  const root = svg('svg', {
    class: 'ladder',
    id: 'ladder',
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
  });
  const defs = svg('defs', {});
  const marker = svg('marker', {
    id: 'arrow',
    markerWidth: 8,
    markerHeight: 8,
    refX: 7,
    refY: 4,
    orient: 'auto',
  });
  marker.append(svg('path', { d: 'M0,0 L8,4 L0,8 z', fill: '#1d2330' }));
  defs.append(marker);
  root.append(defs);
  for (const c of columns) {
    root.append(
      svg(
        'text',
        { x: colX(c), y: 20, 'text-anchor': 'middle', 'font-weight': 'bold' },
        names[c] ? `${names[c]} (${c})` : c,
      ),
    );
    root.append(
      svg('line', {
        x1: colX(c),
        y1: 30,
        x2: colX(c),
        y2: height - 10,
        stroke: '#9aa3b2',
        'stroke-dasharray': '4 3',
      }),
    );
  }
  messages.forEach((m, i) => {
    const y = 50 + i * rowH;
    const [from, to] = m.direction === 'in' ? [m.peer, 'PBX'] : ['PBX', m.peer];
    const x1 = colX(from);
    const x2 = colX(to);
    const colour = m.status >= 400 ? '#d93025' : m.status >= 200 ? '#1e8e3e' : '#1d2330';
    root.append(
      svg('line', {
        x1,
        y1: y,
        x2,
        y2: y,
        stroke: colour,
        'stroke-width': 1.5,
        'marker-end': 'url(#arrow)',
      }),
    );
    const label = svg(
      'text',
      { x: (x1 + x2) / 2, y: y - 5, 'text-anchor': 'middle', fill: colour, class: 'ladder-label' },
      m.label,
    );
    label.append(svg('title', {}, m.text));
    root.append(label);
  });
  view.replaceChildren(
    el(
      'p',
      {},
      el('a', { href: '#calls' }, '← Live calls'),
      ' ',
      el(
        'span',
        { className: 'muted' },
        `Call ${ref}: ${messages.length} SIP messages (hover a label for the message)`,
      ),
    ),
    root,
  );
}
