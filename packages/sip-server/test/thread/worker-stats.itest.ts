/**
 * The worker's stats carry its own heap in use, so a bench or an operator can tell the SIP
 * server's memory from the PBX's main thread: it grows while the worker holds more and the `gc`
 * form reports what is left after full collections.
 */
import { silentLogger as quiet } from '../../src/logger';
import { startSipServerThread } from '../../src/thread/threaded-server';

jest.setTimeout(30_000);

describe('SIP server worker stats', () => {
  it('report the worker heap in use', async () => {
    const server = await startSipServerThread(
      {
        sip: { host: '127.0.0.1', port: 0, protocols: ['udp'] },
        control: { host: '127.0.0.1', port: 0, secret: 'stats-secret' },
      },
      { to: 'post', level: 'error' },
      quiet,
    );
    try {
      const plain = await server.stats();
      expect(plain.dialogs).toBe(0);
      expect(plain.workerHeapUsed).toBeGreaterThan(1_000_000);
      const collected = await server.stats({ gc: true });
      expect(collected.workerHeapUsed).toBeGreaterThan(1_000_000);
      // The worker's heap, not this thread's: at least a fresh isolate's worth and far from ours.
      expect(collected.workerHeapUsed).toBeLessThan(200 * 1024 * 1024);
    } finally {
      await server.stop();
    }
  });
});
