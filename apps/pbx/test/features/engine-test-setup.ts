/**
 * Shared setup of the feature runner tests: a fresh engine with stations 201-206 registered for
 * each test, jest's fake clock for the engine's timers, and the helpers the tests step it with.
 */
import type { FakeDialog } from './fake-sip-port';
import { REAL, settle, startEngine, type EngineHarness } from './harness';

/** The engine of the running test. */
export let h: EngineHarness;

/** Installs beforeEach/afterEach for a describe block or file. */
export function useEngine(): void {
  beforeEach(async () => {
    h = await startEngine();
    await h.stations(['201', '202', '203', '204', '205', '206']);
    // Real I/O (SQLite) and setImmediate keep running; timers and Date are the test's.
    jest.useFakeTimers({ doNotFake: [...REAL] });
  });

  afterEach(async () => {
    jest.useRealTimers();
    await h.close();
  });
}

/** Advances the fake clock, then lets the work it started finish. */
export async function advance(ms: number): Promise<void> {
  jest.advanceTimersByTime(ms);
  await settle();
}

/** 201 calls 202 and 202 answers: both dialogs. */
export async function connected(): Promise<{ caller: FakeDialog; callee: FakeDialog }> {
  const invite = h.sip.call('201', '202');
  await settle();
  const [out] = h.sip.to('202');
  const callee = out!.answer();
  await settle();
  expect(invite.final).toBe(200);
  return { caller: invite.dialog!, callee };
}
