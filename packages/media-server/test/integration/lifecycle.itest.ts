/**
 * close() with calls up: every channel is hung up (fsmrf sees destroy with the cause, the
 * dialogs get BYE), and the ESL, SIP and RTP ports are free again afterwards.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { Any } from './stack';
import { endpointPair, startStack, withTimeout } from './stack';

function canBindTcp(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

function canBindUdp(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = dgram.createSocket('udp4');
    s.once('error', () => resolve(false));
    s.bind(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

describe('media server shutdown', () => {
  it('hangs up live channels and releases every port', async () => {
    const stack = await startStack();
    const [a, b]: [Any, Any] = await endpointPair(stack.ms);
    void a.play('silence_stream://-1').catch(() => undefined);
    const reasons = Promise.all(
      [a, b].map(
        (ep) =>
          new Promise<string>((resolve) =>
            ep.once('destroy', (e: { reason?: string }) => resolve(e?.reason ?? '')),
          ),
      ),
    );
    const rtpPort = Number(a.local.mediaPort);
    const { esl, sip } = stack.media;
    await stack.media.close();
    expect(await withTimeout(reasons, 5000, 'destroy events')).toEqual([
      'SYSTEM_SHUTDOWN',
      'SYSTEM_SHUTDOWN',
    ]);
    expect(await canBindTcp(esl.port)).toBe(true);
    expect(await canBindUdp(sip.port)).toBe(true);
    expect(await canBindUdp(rtpPort)).toBe(true);
    expect(stack.sip.stats().dialogs).toBe(0);
    await stack.stop();
  });
});
