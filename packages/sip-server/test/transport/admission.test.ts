import dgram from 'node:dgram';
import type { SipMessage } from '../../src/message/types';
import { portOf, requestText, startTransport, waitUntil } from './helpers';

describe('TransportLayer admission', () => {
  it('drops everything from a refused source before parsing, and takes it again once admitted', async () => {
    const refused = new Set<number>();
    const layer = await startTransport([{ protocol: 'udp' }], {
      admission: (src) => !refused.has(src.port),
    });
    const got: SipMessage[] = [];
    const malformed: string[] = [];
    layer.on('message', (m) => got.push(m));
    layer.on('malformed', (r) => malformed.push(r));
    let refusals = 0;
    layer.on('refused', () => refusals++);
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    try {
      const me = sock.address().port;
      const send = (text: string): void => sock.send(text, portOf(layer, 'udp'), '127.0.0.1');
      refused.add(me);
      send(requestText({}));
      send('garbage that would otherwise be reported\r\n\r\n');
      await waitUntil(() => refusals === 2);
      expect(got).toHaveLength(0);
      expect(malformed).toHaveLength(0);
      refused.delete(me);
      send(requestText({}));
      await waitUntil(() => got.length === 1);
    } finally {
      sock.close();
      await layer.stop();
    }
  });
});
