import { hashPin, NotFoundError, verifyPin, type Store } from '../src';
import { openTempStore } from './helpers';

describe('VoicemailRepo', () => {
  let store: Store;
  let done: () => Promise<void>;

  beforeEach(async () => {
    ({ store, done } = await openTempStore({ clock: () => 9_000 }));
    await store.stations.create({ tel: '201', password: 'secret201' }, { realm: 'pbx.local' });
    await store.stations.create({ tel: '202', password: 'secret202' }, { realm: 'pbx.local' });
  });
  afterEach(() => done());

  it('gives defaults without a row and keeps a patch, bumping the voicemail counter', async () => {
    const before = (await store.changes.counters()).voicemail ?? 0;
    expect(await store.voicemail.box('201')).toMatchObject({
      enabled: true,
      hasPin: false,
      onNoAnswer: true,
      onBusy: true,
      onDnd: true,
      onUnregistered: true,
    });
    const b = await store.voicemail.setBox('201', { enabled: false, onBusy: false });
    expect(b).toMatchObject({ enabled: false, onBusy: false, onDnd: true, updatedAt: 9_000 });
    expect((await store.changes.counters()).voicemail).toBeGreaterThan(before);
    expect((await store.voicemail.boxes()).map((x) => [x.tel, x.enabled])).toEqual([
      ['201', false],
      ['202', true],
    ]);
    await expect(store.voicemail.box('299')).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.voicemail.setBox('299', { enabled: true })).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });

  it('hashes PINs with a salt and verifies them; refuses malformed PINs', () => {
    const h = hashPin('4321098765');
    expect(h).not.toContain('4321098765');
    expect(h).not.toBe(hashPin('4321098765'));
    expect(verifyPin('4321098765', h)).toBe(true);
    expect(verifyPin('4321098766', h)).toBe(false);
    expect(verifyPin('4321098765', '')).toBe(false);
    expect(verifyPin('4321098765', 'scrypt$zz$zz')).toBe(false);
    expect(() => hashPin('12')).toThrow(RangeError);
    expect(() => hashPin('12ab')).toThrow(RangeError);
  });

  it('keeps messages new first, marks heard, deletes, and syncs the mailbox counts', async () => {
    const m1 = await store.voicemail.addMessage({
      tel: '201',
      callerTel: '202',
      callerName: 'Bob',
      receivedAt: 1_000,
      durationMs: 3_000,
      file: '201/1.wav',
    });
    const m2 = await store.voicemail.addMessage({
      tel: '201',
      callerTel: '203',
      callerName: '',
      receivedAt: 2_000,
      durationMs: 4_000,
      file: '201/2.wav',
    });
    await store.voicemail.markHeard('201', m1.id);
    expect((await store.voicemail.messages('201')).map((m) => m.id)).toEqual([m2.id, m1.id]);
    expect(await store.voicemail.syncCounts('201')).toEqual({ newMessages: 1, oldMessages: 1 });
    expect(await store.mailboxes.get('201')).toMatchObject({ newMessages: 1, oldMessages: 1 });
    expect(await store.voicemail.deleteMessage('201', m2.id)).toMatchObject({ file: '201/2.wav' });
    expect(await store.voicemail.deleteMessage('201', m2.id)).toBeUndefined();
    expect(await store.voicemail.deleteMessage('202', m1.id)).toBeUndefined();
    expect([...(await store.voicemail.files())]).toEqual(['201/1.wav']);
    expect(await store.voicemail.counts('201')).toEqual({ newMessages: 0, oldMessages: 1 });
    await store.stations.remove('201');
    expect(await store.voicemail.messages()).toEqual([]);
  });
});
