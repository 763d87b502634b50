/**
 * The feature runners against a fake SIP port, with jest's fake clock for their timers: station
 * calls with forwards (no answer, forward all by code), the ringing timeout, DND and forward by
 * feature code, directed pickup, park with its recall, blind REFER transfer and ring groups with
 * their batches. What each test checks is what the phones would see: which INVITEs, CANCELs,
 * BYEs, re-INVITEs and final statuses the PBX sends, and the call record.
 */
import { phoneSdp, type FakeDialog } from './fake-sip-port';
import { REAL, settle, startEngine, until, type EngineHarness } from './harness';

let h: EngineHarness;

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

/** Advances the fake clock, then lets the work it started finish. */
async function advance(ms: number): Promise<void> {
  jest.advanceTimersByTime(ms);
  await settle();
}

/** 201 calls 202 and 202 answers: both dialogs. */
async function connected(): Promise<{ caller: FakeDialog; callee: FakeDialog }> {
  const invite = h.sip.call('201', '202');
  await settle();
  const [out] = h.sip.to('202');
  const callee = out!.answer();
  await settle();
  expect(invite.final).toBe(200);
  return { caller: invite.dialog!, callee };
}

describe('station call and forwards', () => {
  test('rings the callee with the caller as From, relays 180 and answers with its SDP', async () => {
    const invite = h.sip.call('201', '202');
    await settle();
    const [out] = h.sip.to('202');
    expect(out?.options.from).toBe('"Phone 201" <sip:201@pbx.local>');
    expect(out?.options.sdp).toContain('m=audio');
    out!.ring();
    await settle();
    expect(invite.provisional).toEqual([180]);
    const sdp = phoneSdp('202');
    out!.answer(sdp);
    await settle();
    expect(invite.final).toBe(200);
    expect(invite.answerSdp).toContain('m=audio');
    // The caller hangs up: the callee gets BYE and the record is written.
    invite.dialog!.hangUp();
    await settle();
    expect(out!.dialog!.byeSent).toBe(true);
    await h.env.cdr.flush();
    expect(h.cdrs.at(-1)).toMatchObject({
      callerTel: '201',
      calleeTel: '202',
      disposition: 'answered',
      hangupSide: 'caller',
    });
  });

  test('no answer: after the station timer the phone gets CANCEL and the target rings with Diversion', async () => {
    await h.store.stations.update(
      '202',
      { forwardNoAnswer: '203', forwardNoAnswerTimer: 5 },
      { realm: 'pbx.local' },
    );
    await h.env.stations.load();
    const invite = h.sip.call('201', '202');
    await settle();
    const [to202] = h.sip.to('202');
    to202!.ring();
    await advance(4_999);
    expect(to202!.cancelled).toBe(false);
    expect(h.sip.to('203')).toHaveLength(0);
    await advance(1);
    expect(to202!.cancelled).toBe(true);
    const [to203] = h.sip.to('203');
    expect(to203?.options.headers?.['Diversion']).toBe(
      '<sip:202@pbx.local>;reason=no-answer;counter=1',
    );
    to203!.answer();
    await settle();
    expect(invite.final).toBe(200);
    invite.dialog!.hangUp();
    await settle();
    await h.env.cdr.flush();
    expect(h.cdrs.at(-1)).toMatchObject({
      calleeTel: '203',
      forwardedFrom: '202',
      forwardReason: 'no-answer',
      disposition: 'answered',
    });
  });

  test('unanswered: the caller gets 480 and the phone CANCEL after the ringing timeout', async () => {
    const invite = h.sip.call('201', '202');
    await settle();
    const [out] = h.sip.to('202');
    await advance(h.config.features.ringingTimeout * 1000 - 1);
    expect(invite.final).toBeUndefined();
    await advance(1);
    expect(invite.final).toBe(480);
    expect(out!.cancelled).toBe(true);
    await h.env.cdr.flush();
    expect(h.cdrs.at(-1)).toMatchObject({ disposition: 'no-answer', sipStatus: 480 });
  });

  test('a caller CANCEL cancels the ringing phone', async () => {
    const invite = h.sip.call('201', '202');
    await settle();
    invite.cancel();
    await settle();
    expect(h.sip.to('202')[0]!.cancelled).toBe(true);
    expect(h.env.registry.size).toBe(0);
  });

  test('an unregistered callee without forward: 480 and no INVITE', async () => {
    h.registrations.set('202', false);
    const invite = h.sip.call('201', '202');
    await settle();
    expect(invite.final).toBe(480);
    expect(h.sip.to('202')).toHaveLength(0);
  });
});

describe('feature codes', () => {
  test('40 + 1 sets DND (480 to the code); calls to the station then get 486 without ringing', async () => {
    const code = h.sip.call('202', '401');
    await until('the code answered', () => code.final !== undefined);
    expect(code.final).toBe(480);
    expect(h.env.stations.peek('202')?.settings.dnd).toBe(true);
    expect((await h.store.stations.get('202'))?.dnd).toBe(true);
    const invite = h.sip.call('201', '202');
    await settle();
    expect(invite.final).toBe(486);
    expect(h.sip.to('202')).toHaveLength(0);
    await h.env.cdr.flush();
    expect(h.cdrs.find((r) => r.disposition === 'feature')).toMatchObject({
      dialled: '401',
      feature: 'dnd',
      sipStatus: 480,
    });
  });

  test('601 + station sets forward all; the next call goes there with reason unconditional', async () => {
    const code = h.sip.call('202', '601203');
    await until('the code answered', () => code.final !== undefined);
    expect(code.final).toBe(480);
    h.sip.call('201', '202');
    await settle();
    expect(h.sip.to('202')).toHaveLength(0);
    expect(h.sip.to('203')[0]?.options.headers?.['Diversion']).toBe(
      '<sip:202@pbx.local>;reason=unconditional;counter=1',
    );
  });

  test('a code with a bad argument changes nothing and still answers 480', async () => {
    const code = h.sip.call('202', '409');
    await until('the code answered', () => code.final !== undefined);
    expect(code.final).toBe(480);
    expect(h.env.stations.peek('202')?.settings.dnd).toBe(false);
  });
});

describe('pickup', () => {
  test('13 + station: the ringing phone gets CANCEL, the picker and the caller are answered', async () => {
    const caller = h.sip.call('201', '202');
    await settle();
    const [to202] = h.sip.to('202');
    to202!.ring();
    await settle();
    const picker = h.sip.call('203', '13202');
    await until('the picker answered', () => picker.final !== undefined);
    expect(to202!.cancelled).toBe(true);
    expect(picker.final).toBe(200);
    expect(caller.final).toBe(200);
    caller.dialog!.hangUp();
    await settle();
    expect(picker.dialog!.byeSent).toBe(true);
    await h.env.cdr.flush();
    expect(h.cdrs.find((r) => r.disposition === 'answered')).toMatchObject({
      calleeTel: '203',
      pickedUpFrom: '202',
    });
  });

  test('nothing ringing: 480', async () => {
    const picker = h.sip.call('203', '13202');
    await until('the picker answered', () => picker.final !== undefined);
    expect(picker.final).toBe(480);
  });
});

describe('hold and park', () => {
  test('a hold re-INVITE is relayed with the direction the other phone should see', async () => {
    const { caller, callee } = await connected();
    const reply = await caller.phoneReinvite(phoneSdp('201', 'sendonly'));
    expect(callee.reinvites.at(-1)).toContain('a=sendonly');
    expect(reply.answer).toContain('a=recvonly');
    expect(h.env.registry.heldCalls('201')).toEqual([expect.objectContaining({ party: '202' })]);
  });

  test('11 + station parks the held call; unretrieved, it recalls the parker after the recall time', async () => {
    const { caller, callee } = await connected();
    await caller.phoneReinvite(phoneSdp('201', 'sendonly'));
    const code = h.sip.call('201', '11201');
    await until('the code answered', () => code.final !== undefined);
    expect(code.final).toBe(480);
    expect(caller.byeSent).toBe(true);
    expect(callee.connected).toBe(true);
    expect(h.features.parks.list()).toEqual([
      expect.objectContaining({ slot: '201', party: '202', parkedBy: '201' }),
    ]);
    const before = h.sip.to('201').length;
    await advance(h.config.features.parkRecallTime * 1000 - 1);
    expect(h.sip.to('201')).toHaveLength(before);
    await advance(1);
    const recall = h.sip.to('201').at(-1)!;
    expect(h.sip.to('201')).toHaveLength(before + 1);
    expect(recall.options.from).toContain('sip:202@');
    const reinvites = callee.reinvites.length;
    recall.answer();
    await settle();
    expect(callee.reinvites.length).toBe(reinvites + 1);
    expect(callee.reinvites.at(-1)).toContain('a=sendrecv');
  });

  test("12 + station retrieves the parked call into the retriever's INVITE", async () => {
    const { caller, callee } = await connected();
    await caller.phoneReinvite(phoneSdp('201', 'sendonly'));
    const code = h.sip.call('201', '11201');
    await until('the park code answered', () => code.final !== undefined);
    const retriever = h.sip.call('203', '12201');
    await until('the retriever answered', () => retriever.final !== undefined);
    expect(retriever.final).toBe(200);
    expect(callee.reinvites.at(-1)).toContain('a=sendrecv');
    expect(h.features.parks.list()).toEqual([]);
    // Retrieved before the recall time: no recall rings.
    await advance(h.config.features.parkRecallTime * 1000);
    expect(h.sip.to('201')).toHaveLength(0);
  });
});

describe('transfer', () => {
  test('blind REFER: 202, NOTIFY 100/180/200, the target rings, the transferee is re-INVITEd, the transferor gets BYE', async () => {
    const { caller, callee } = await connected();
    const status = await caller.phoneRefer('<sip:203@pbx.local>');
    expect(status).toBe(202);
    await settle();
    const [to203] = h.sip.to('203');
    expect(to203?.options.from).toContain('sip:202@');
    expect(to203?.options.headers?.['Referred-By']).toBe('<sip:201@pbx.local>');
    to203!.ring();
    await settle();
    to203!.answer();
    await settle();
    expect(callee.reinvites.at(-1)).toContain('a=sendrecv');
    expect(caller.byeSent).toBe(true);
    expect(caller.notifyStatuses()).toEqual([100, 180, 200]);
  });

  test('blind REFER to a refusing target: the transferee stays, NOTIFY carries the failure', async () => {
    const { caller, callee } = await connected();
    await caller.phoneRefer('<sip:203@pbx.local>');
    await settle();
    h.sip.to('203')[0]!.refuse(486);
    await settle();
    expect(caller.notifyStatuses()).toEqual([100, 486]);
    expect(caller.byeSent).toBe(false);
    expect(callee.connected).toBe(true);
  });

  test('a REFER without a usable Refer-To is refused 400', async () => {
    const { caller } = await connected();
    expect(await caller.phoneRefer('<tel:+123>')).toBe(400);
  });
});

describe('ring group', () => {
  beforeEach(() => {
    h.plan.setGroup('500', ['202', '203', '204', '205', '206']);
  });

  test('rings 4 members at once and the 5th 50 ms later; the first answer wins, the rest get CANCEL', async () => {
    const invite = h.sip.call('201', '500');
    // The group number is no station: the router first re-reads the stations (real I/O).
    await until('the first batch', () => h.sip.sent.length > 0);
    expect(h.sip.sent.map((o) => o.station)).toEqual(['202', '203', '204', '205']);
    await advance(49);
    expect(h.sip.sent).toHaveLength(4);
    await advance(1);
    expect(h.sip.sent.map((o) => o.station)).toEqual(['202', '203', '204', '205', '206']);
    h.sip.to('204')[0]!.answer();
    await settle();
    expect(invite.final).toBe(200);
    for (const tel of ['202', '203', '205', '206']) expect(h.sip.to(tel)[0]!.cancelled).toBe(true);
    invite.dialog!.hangUp();
    await settle();
    await h.env.cdr.flush();
    expect(h.cdrs.at(-1)).toMatchObject({
      dialled: '500',
      calleeTel: '204',
      disposition: 'answered',
    });
  });

  test('every member busy or in DND: 486 without ringing', async () => {
    h.plan.setGroup('501', ['203', '204']);
    for (const tel of ['203', '204'])
      await h.store.stations.update(tel, { dnd: true }, { realm: 'pbx.local' });
    await h.env.stations.load();
    const invite = h.sip.call('201', '501');
    await until('the caller answered', () => invite.final !== undefined);
    expect(invite.final).toBe(486);
    expect(h.sip.sent).toHaveLength(0);
  });

  test('nobody answers: 480 at the ringing timeout, every member CANCELled', async () => {
    const invite = h.sip.call('201', '500');
    await until('the first batch', () => h.sip.sent.length > 0);
    await advance(h.config.features.ringingTimeout * 1000);
    expect(invite.final).toBe(480);
    expect(h.sip.sent.every((o) => o.cancelled)).toBe(true);
  });
});
