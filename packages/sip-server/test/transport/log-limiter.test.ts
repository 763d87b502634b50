import type { Logger } from '../../src/logger';
import { LogLimiter } from '../../src/transport';

function capture(): { logger: Logger; lines: Array<{ obj: unknown; msg?: string }> } {
  const lines: Array<{ obj: unknown; msg?: string }> = [];
  const logger: Logger = {
    child: () => logger,
    trace: () => undefined,
    debug: () => undefined,
    info: () => undefined,
    warn: (obj, msg) => lines.push({ obj, msg }),
    error: () => undefined,
    isLevelEnabled: () => true,
  };
  return { logger, lines };
}

test('at most one line per key per second, with the count of the suppressed ones', () => {
  const { logger, lines } = capture();
  let now = 0;
  const limiter = new LogLimiter(logger, 1000, () => now);
  for (let i = 0; i < 500; i++) limiter.warn('malformed-udp', { i }, 'malformed message');
  limiter.warn('malformed-tcp', { i: 0 }, 'malformed message');
  expect(lines).toHaveLength(2);
  now = 1000;
  limiter.warn('malformed-udp', { i: 500 }, 'malformed message');
  expect(lines).toHaveLength(3);
  expect(lines[2]?.obj).toEqual({ i: 500, suppressed: 499 });
  now = 2500;
  limiter.warn('malformed-udp', { i: 501 }, 'malformed message');
  expect(lines[3]?.obj).toEqual({ i: 501 });
});
