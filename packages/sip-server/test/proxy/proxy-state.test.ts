import {
  bestResponse,
  nextProxy,
  responseRank,
  startProxy,
  type BranchState,
  type ProxyConfig,
  type ProxyEffect,
  type ProxyEvent,
  type ProxyState,
} from '../../src/proxy/proxy-state';

const base: ProxyConfig = {
  serial: true,
  invite: true,
  followRedirects: false,
  cancelGuardMs: 32_000,
};
const A = 'sip:127.0.0.1:5071';
const B = 'sip:127.0.0.1:5072';
const C = 'sip:127.0.0.1:5073';

/** Feeds events in order and collects every effect. */
function drive(
  cfg: Partial<ProxyConfig>,
  targets: string[],
  events: ProxyEvent[],
): { s: ProxyState; fx: ProxyEffect[]; steps: ProxyEffect[][] } {
  const [first, fx] = startProxy({ ...base, ...cfg }, targets);
  let s = first;
  const steps: ProxyEffect[][] = [fx];
  const all = [...fx];
  for (const e of events) {
    const [n, f] = nextProxy(s, e);
    s = n;
    steps.push(f);
    all.push(...f);
  }
  return { s, fx: all, steps };
}

const final = (
  branch: number,
  status: number,
  extra: { contacts?: string[]; challenge?: boolean } = {},
): ProxyEvent => ({
  type: 'branch.final',
  branch,
  status,
  contacts: extra.contacts ?? [],
  challenge: extra.challenge ?? false,
});
const prov = (branch: number, status: number): ProxyEvent => ({
  type: 'branch.provisional',
  branch,
  status,
});
const types = (fx: ProxyEffect[]): string[] =>
  fx.map((f) =>
    'branch' in f
      ? `${f.type}:${f.branch}`
      : f.type === 'respondUpstream'
        ? `respondUpstream:${f.status}`
        : f.type,
  );
const branchOf = (s: ProxyState, id: number): BranchState | undefined =>
  s.branches.find((b) => b.id === id);

describe('proxy reducer: start', () => {
  it('serial forking starts only the first target', () => {
    const [s, fx] = startProxy(base, [A, B]);
    expect(s.kind).toBe('searching');
    expect(fx).toEqual([{ type: 'startBranch', branch: 1, target: A }]);
    expect(s.pending).toEqual([B]);
  });

  it('simultaneous forking starts every target at once', () => {
    const [s, fx] = startProxy({ ...base, serial: false }, [A, B, C]);
    expect(
      fx.filter((f) => f.type === 'startBranch').map((f) => (f as { target: string }).target),
    ).toEqual([A, B, C]);
    expect(s.pending).toEqual([]);
    expect(s.branches.map((b) => b.kind)).toEqual(['calling', 'calling', 'calling']);
  });

  it('starts provisional and final timers per branch when configured', () => {
    const [, fx] = startProxy({ ...base, provisionalTimeoutMs: 2000, finalTimeoutMs: 9000 }, [A]);
    expect(fx).toContainEqual({ type: 'startTimer', timer: 'provisional', branch: 1, ms: 2000 });
    expect(fx).toContainEqual({ type: 'startTimer', timer: 'final', branch: 1, ms: 9000 });
  });
});

describe('proxy reducer: provisional responses', () => {
  it('absorbs 100 and forwards other 1xx', () => {
    const { steps, s } = drive(
      { provisionalTimeoutMs: 1000 },
      [A],
      [prov(1, 100), prov(1, 180), prov(1, 183)],
    );
    expect(types(steps[1]!)).toEqual(['cancelTimer:1']);
    expect(steps[2]).toEqual([{ type: 'forwardProvisional', branch: 1 }]);
    expect(steps[3]).toEqual([{ type: 'forwardProvisional', branch: 1 }]);
    expect(branchOf(s, 1)?.kind).toBe('proceeding');
  });
});

describe('proxy reducer: serial forking', () => {
  it('tries the next target after a failure and forwards the first 2xx', () => {
    const { s, steps } = drive(
      {},
      [A, B],
      [prov(1, 100), final(1, 503), prov(2, 180), final(2, 200)],
    );
    expect(types(steps[2]!)).toEqual(['report:1', 'startBranch:2']);
    expect(steps[3]).toEqual([{ type: 'forwardProvisional', branch: 2 }]);
    expect(types(steps[4]!)).toEqual(['report:2', 'forwardFinal:2', 'done']);
    expect(s).toMatchObject({ kind: 'finished', outcome: 'answered' });
  });

  it('forwards the best final when every target failed', () => {
    const { s, steps } = drive({}, [A, B, C], [final(1, 503), final(2, 486), final(3, 404)]);
    // 486 and 404 share a rank; the first to arrive wins.
    expect(types(steps[3]!)).toEqual(['report:3', 'forwardFinal:2', 'done']);
    expect(s).toMatchObject({ kind: 'finished', outcome: 'rejected' });
  });

  it('moves on after the provisional timeout and CANCELs the branch if it rings later', () => {
    const { s, steps } = drive(
      { provisionalTimeoutMs: 500 },
      [A, B],
      [{ type: 'timer.provisional', branch: 1 }, prov(1, 180)],
    );
    expect(types(steps[1]!)).toEqual([
      'cancelTimer:1',
      'synthesize:1',
      'report:1',
      'startBranch:2',
      'startTimer:2',
    ]);
    expect(steps[1]).toContainEqual({ type: 'synthesize', branch: 1, status: 408 });
    // The late 180 of the abandoned branch is not forwarded; the branch gets its CANCEL now.
    expect(steps[2]).toEqual([{ type: 'cancelBranch', branch: 1 }]);
    expect(branchOf(s, 2)?.kind).toBe('calling');
  });

  it('ignores the provisional timeout once the branch answered anything', () => {
    const { steps, s } = drive(
      { provisionalTimeoutMs: 500 },
      [A, B],
      [prov(1, 100), { type: 'timer.provisional', branch: 1 }],
    );
    expect(steps[2]).toEqual([]);
    expect(branchOf(s, 1)?.kind).toBe('proceeding');
  });

  it('a challenge stops the search and goes upstream', () => {
    const { s, fx } = drive({}, [A, B], [final(1, 407, { challenge: true })]);
    expect(types(fx)).toEqual(['startBranch:1', 'report:1', 'forwardFinal:1', 'done']);
    expect(s.kind).toBe('finished');
  });

  it('a branch timeout counts as 408, and a ringing one is CANCELled (timer C)', () => {
    const { steps, fx } = drive(
      {},
      [A, B],
      [prov(1, 180), { type: 'branch.timeout', branch: 1 }, { type: 'branch.timeout', branch: 2 }],
    );
    expect(types(steps[2]!)).toEqual([
      'cancelBranch:1',
      'synthesize:1',
      'report:1',
      'startBranch:2',
    ]);
    expect(fx.filter((f) => f.type === 'synthesize')).toEqual([
      { type: 'synthesize', branch: 1, status: 408 },
      { type: 'synthesize', branch: 2, status: 408 },
    ]);
    expect(types(steps[3]!).slice(-2)).toEqual(['forwardFinal:1', 'done']);
  });

  it('the final timeout CANCELs a ringing branch and tries the next', () => {
    const { steps } = drive(
      { finalTimeoutMs: 5000 },
      [A, B],
      [prov(1, 180), { type: 'timer.final', branch: 1 }],
    );
    expect(types(steps[2]!)).toEqual([
      'cancelBranch:1',
      'cancelTimer:1',
      'synthesize:1',
      'report:1',
      'startBranch:2',
      'startTimer:2',
    ]);
  });
});

describe('proxy reducer: simultaneous forking', () => {
  it('forwards the first 2xx and CANCELs the rest; a calling branch is CANCELled when it rings', () => {
    const { s, steps } = drive(
      { serial: false },
      [A, B, C],
      [prov(1, 180), prov(2, 100), final(2, 200), prov(3, 180), final(1, 487)],
    );
    expect(types(steps[3]!)).toEqual([
      'report:2',
      'forwardFinal:2',
      'cancelBranch:1',
      'synthesize:3',
      'done',
    ]);
    expect(steps[4]).toEqual([{ type: 'cancelBranch', branch: 3 }]);
    // Late finals after done are not reported.
    expect(steps[5]).toEqual([]);
    expect(s).toMatchObject({ kind: 'finished', outcome: 'answered' });
  });

  it('forwards every later 2xx statelessly', () => {
    const { steps } = drive(
      { serial: false },
      [A, B],
      [final(1, 200), final(2, 200), final(1, 200)],
    );
    expect(steps[2]).toEqual([{ type: 'forwardLate2xx', branch: 2 }]);
    expect(steps[3]).toEqual([{ type: 'forwardLate2xx', branch: 1 }]);
  });

  it('waits for all branches, then forwards the best final', () => {
    const { steps } = drive(
      { serial: false },
      [A, B, C],
      [final(2, 486), final(3, 302), final(1, 500)],
    );
    expect(types(steps[1]!)).toEqual(['report:2']);
    expect(types(steps[2]!)).toEqual(['report:3']);
    expect(types(steps[3]!)).toEqual(['report:1', 'forwardFinal:3', 'done']);
  });

  it('a 6xx CANCELs the other branches and goes upstream once they ended', () => {
    const { steps, s } = drive(
      { serial: false },
      [A, B],
      [prov(1, 180), final(2, 603), final(1, 487)],
    );
    expect(types(steps[2]!)).toEqual(['report:2', 'cancelBranch:1', 'startTimer:1']);
    expect(types(steps[3]!)).toEqual(['cancelTimer:1', 'report:1', 'forwardFinal:2', 'done']);
    expect(s.kind).toBe('finished');
  });
});

describe('proxy reducer: upstream CANCEL', () => {
  it('answers 487 upstream, CANCELs the branches and is done when they ended', () => {
    const { s, steps } = drive(
      { serial: false },
      [A, B],
      [prov(1, 180), { type: 'upstream.cancel' }, final(1, 487)],
    );
    expect(types(steps[2]!)).toEqual([
      'respondUpstream:487',
      'cancelBranch:1',
      'startTimer:1',
      'synthesize:2',
      'report:2',
    ]);
    expect(s).toMatchObject({ kind: 'finished', outcome: 'cancelled' });
    expect(types(steps[3]!)).toEqual(['cancelTimer:1', 'report:1', 'done']);
  });

  it('gives a silent branch 64·T1 to answer the CANCEL', () => {
    const { s, steps } = drive(
      {},
      [A],
      [prov(1, 180), { type: 'upstream.cancel' }, { type: 'timer.cancelGuard', branch: 1 }],
    );
    expect(steps[2]).toContainEqual({
      type: 'startTimer',
      timer: 'cancelGuard',
      branch: 1,
      ms: 32_000,
    });
    expect(steps[3]).toEqual([
      { type: 'synthesize', branch: 1, status: 487 },
      { type: 'report', branch: 1 },
      { type: 'done' },
    ]);
    expect(s.kind).toBe('finished');
  });

  it('does not try the remaining serial targets', () => {
    const { fx } = drive({}, [A, B], [prov(1, 180), { type: 'upstream.cancel' }, final(1, 487)]);
    expect(fx.filter((f) => f.type === 'startBranch')).toHaveLength(1);
  });

  it('a 2xx crossing the CANCEL is still forwarded', () => {
    const { steps } = drive({}, [A], [prov(1, 180), { type: 'upstream.cancel' }, final(1, 200)]);
    expect(types(steps[3]!)).toEqual(['cancelTimer:1', 'report:1', 'forwardLate2xx:1', 'done']);
  });

  it('is ignored after the final response went upstream', () => {
    const { steps } = drive({}, [A], [final(1, 486), { type: 'upstream.cancel' }]);
    expect(steps[2]).toEqual([]);
  });
});

describe('proxy reducer: redirects and unsendable targets', () => {
  it('follows 3xx Contacts right after the current target', () => {
    const { fx, steps } = drive(
      { followRedirects: true },
      [A, B],
      [final(1, 302, { contacts: [C] }), final(2, 200)],
    );
    expect(types(steps[1]!)).toEqual(['report:1', 'startBranch:2']);
    expect(fx).toContainEqual({ type: 'startBranch', branch: 2, target: C });
  });

  it('without followRedirects a 3xx is just a final response', () => {
    const { steps } = drive({}, [A], [final(1, 302, { contacts: [C] })]);
    expect(types(steps[1]!)).toEqual(['report:1', 'forwardFinal:1', 'done']);
  });

  it('a followed redirect is not a candidate for the best response', () => {
    const { steps } = drive(
      { followRedirects: true },
      [A],
      [final(1, 301, { contacts: [B] }), final(2, 480)],
    );
    expect(types(steps[2]!)).toEqual(['report:2', 'forwardFinal:2', 'done']);
  });

  it('answers 500 upstream and fails the command when no branch could be sent', () => {
    const { fx, s } = drive(
      { serial: false },
      [A, B],
      [
        { type: 'branch.unsent', branch: 1 },
        { type: 'branch.unsent', branch: 2 },
      ],
    );
    expect(fx).toContainEqual({ type: 'respondUpstream', status: 500 });
    expect(fx).toContainEqual({ type: 'fail', reason: `error proxying request to ${A}, ${B}` });
    expect(fx.some((f) => f.type === 'report' || f.type === 'done')).toBe(false);
    expect(s).toMatchObject({ kind: 'finished', outcome: 'unsent' });
  });

  it('an unsendable target is skipped in serial mode', () => {
    const { steps } = drive({}, [A, B], [{ type: 'branch.unsent', branch: 1 }, final(2, 486)]);
    expect(types(steps[1]!)).toEqual(['synthesize:1', 'startBranch:2']);
    expect(types(steps[2]!)).toEqual(['report:2', 'forwardFinal:2', 'done']);
  });

  it('a chosen 503 goes upstream as 500', () => {
    const { steps } = drive({}, [A], [final(1, 503)]);
    expect(types(steps[1]!)).toEqual(['report:1', 'respondUpstream:500', 'done']);
  });
});

describe('proxy reducer: non-INVITE', () => {
  it('never CANCELs; the first 2xx ends the operation', () => {
    const { fx } = drive({ serial: false, invite: false }, [A, B], [prov(1, 100), final(2, 200)]);
    expect(fx.some((f) => f.type === 'cancelBranch')).toBe(false);
    expect(types(fx).slice(-3)).toEqual(['forwardFinal:2', 'synthesize:1', 'done']);
  });
});

describe('proxy reducer: purity', () => {
  it('does not change the state it is given, and ignores unknown branches', () => {
    const [s0] = startProxy({ ...base, serial: false }, [A, B]);
    const copy = JSON.parse(JSON.stringify(s0)) as unknown;
    nextProxy(s0, final(1, 200));
    nextProxy(s0, { type: 'upstream.cancel' });
    expect(s0).toEqual(copy);
    const [same, fx] = nextProxy(s0, final(9, 200));
    expect(same).toBe(s0);
    expect(fx).toEqual([]);
  });
});

describe('best response (RFC 3261 §16.7 step 6)', () => {
  it.each([
    [[486, 603, 302], 603],
    [[486, 302, 500], 302],
    [[486, 401, 500], 401],
    [[404, 486], 404],
    [[500, 503], 500],
    [[480, 407], 407],
  ])('from %j picks %i', (statuses, expected) => {
    const branches: BranchState[] = statuses.map((status, i) => ({
      id: i + 1,
      target: A,
      kind: 'completed',
      status,
      seq: i + 1,
      candidate: true,
      cancelOnProvisional: false,
      unsent: false,
    }));
    expect(bestResponse(branches)?.status).toBe(expected);
  });

  it('ranks 6xx above every class and the resubmission hints first within 4xx', () => {
    expect(responseRank(600)).toBeLessThan(responseRank(300));
    expect(responseRank(484)).toBeLessThan(responseRank(404));
    expect(responseRank(404)).toBeLessThan(responseRank(500));
  });
});
