import net from 'node:net';
import { silentLogger } from '../../src/logger';
import { ControlConnection } from '../../src/wire/control-server';
import { FrameDecoder } from '../../src/wire/frame-codec';

// Frames of one turn leave in one write: as latin1 when every frame is ASCII, as UTF-8 otherwise.
// Either way the bytes on the wire must be the UTF-8 frames drachtio-srf expects.

async function pair(): Promise<{
  conn: ControlConnection;
  received: () => Promise<string[]>;
  close: () => void;
}> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
  const client = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve) => client.once('connect', resolve));
  const peer = await accepted;
  const decoder = new FrameDecoder();
  const payloads: string[] = [];
  const waiters: Array<() => void> = [];
  peer.on('data', (chunk: Buffer) => {
    payloads.push(...decoder.push(chunk));
    for (const w of waiters.splice(0)) w();
  });
  return {
    conn: new ControlConnection(client, silentLogger),
    received: async () => {
      // Bounded wait on data events, never a fixed sleep.
      const deadline = Date.now() + 10_000;
      while (payloads.length < 3 && Date.now() < deadline) {
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200).unref();
        });
      }
      return payloads.splice(0);
    },
    close: () => {
      client.destroy();
      peer.destroy();
      server.close();
    },
  };
}

describe('ControlConnection framing', () => {
  it('sends ASCII frames and frames with UTF-8 text intact, with UTF-8 byte lengths', async () => {
    const p = await pair();
    try {
      const ascii = 'id1|sip|network|0|udp|127.0.0.1|5060\r\nREGISTER sip:127.0.0.1 SIP/2.0';
      const utf8 = 'id2|sip|network|0|udp|127.0.0.1|5060\r\nFrom: "Jürgen €" <sip:j@127.0.0.1>';
      p.conn.send(ascii);
      p.conn.send(utf8);
      p.conn.send('id3|response|m1|OK');
      expect(await p.received()).toEqual([ascii, utf8, 'id3|response|m1|OK']);
      // A later all-ASCII turn is written as latin1 again and still arrives exactly.
      p.conn.send('a');
      p.conn.send('b|c');
      p.conn.send('Grüße');
      expect(await p.received()).toEqual(['a', 'b|c', 'Grüße']);
      p.conn.send('x1');
      p.conn.send('x2');
      p.conn.send('x3');
      expect(await p.received()).toEqual(['x1', 'x2', 'x3']);
    } finally {
      p.close();
    }
  });
});
