import { silentLogger } from '../../src/logger';
import { MAX_FAILED_DIALOGS, SipCore, type CoreOptions } from '../../src/core/sip-core';

/** A core with only what rememberFailedDialog reads (T1); the rest is never touched here. */
function core(): SipCore {
  return new SipCore({
    logger: silentLogger,
    t1: 500,
    supportedOptionTags: [],
  } as unknown as CoreOptions);
}

describe('failed-dialog markers (ACK for a failed UAC INVITE)', () => {
  afterEach(() => jest.useRealTimers());

  test('expire after 64·T1 from the front, without waiting for the map to fill', () => {
    jest.useFakeTimers({ now: 0 });
    const c = core();
    c.rememberFailedDialog('a');
    jest.setSystemTime(20_000);
    c.rememberFailedDialog('b');
    expect([...c.failedDialogs.keys()]).toEqual(['a', 'b']);
    jest.setSystemTime(32_001);
    c.rememberFailedDialog('c');
    expect([...c.failedDialogs.keys()]).toEqual(['b', 'c']);
  });

  test('a flood of failing calls is bounded: beyond the cap the oldest go early', () => {
    jest.useFakeTimers({ now: 0 });
    const c = core();
    for (let i = 0; i < MAX_FAILED_DIALOGS + 500; i++) c.rememberFailedDialog(`d${i}`);
    expect(c.failedDialogs.size).toBe(MAX_FAILED_DIALOGS);
    expect(c.failedDialogs.has('d0')).toBe(false);
    expect(c.failedDialogs.has(`d${MAX_FAILED_DIALOGS + 499}`)).toBe(true);
  });
});
