/**
 * The watcher policy (`presence.watchers`): sipp stations fetch (SUBSCRIBE, Expires: 0) presence
 * and busy lamps; `all` lets every station watch, `group` only stations sharing a ring group,
 * `none` only the station itself; refused SUBSCRIBEs get 403. Ring-group lamps stay open.
 */
import { XMLParser } from 'fast-xml-parser';
import { expectPhoneOk, startCallsPbx, type CallsPbx } from '../helpers/calls-harness';
import { notifies } from '../helpers/event-watchers';

jest.setTimeout(60_000);

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@',
  removeNSPrefix: true,
});
type Node = Record<string, unknown>;

describe('presence watcher policy', () => {
  let h: CallsPbx;
  beforeAll(async () => {
    h = await startCallsPbx();
    for (const tel of ['201', '202', '203']) await h.station(tel);
    await h.pbx.ctx.store.ringGroups.create({ number: '790', members: ['201', '202'] });
    await h.pbx.changeApplied('groups');
  });
  afterAll(async () => {
    await h?.[Symbol.asyncDispose]();
  });

  /** Fetches `event` of `resource` as station `watcher`: true when granted (the NOTIFY checked). */
  async function fetch(watcher: string, resource: string, event: string): Promise<boolean> {
    const r = await h.call(watcher, resource, 'uac-subscribe-fetch.xml', {
      keys: { event },
      timeoutMs: 5_000,
    });
    if (r.code !== 0) {
      expect(r.messages).toMatch(/SIP\/2\.0 403 /);
      return false;
    }
    expectPhoneOk(r, `${watcher} fetching ${event} of ${resource}`);
    const [n] = notifies(r);
    expect(n?.subscriptionState).toMatch(/^terminated/);
    const doc = parser.parse(n?.body ?? '', true) as Node;
    const root = (event === 'presence' ? doc['presence'] : doc['dialog-info']) as Node;
    expect(String(root['@entity'])).toBe(`sip:${resource}@pbx.local`);
    return true;
  }

  const setPolicy = (p: 'all' | 'group' | 'none'): void => {
    h.pbx.ctx.config.presence.watchers = p;
  };

  test('all (the default): every station watches every station', async () => {
    expect(h.pbx.ctx.config.presence.watchers).toBe('all');
    expect(await fetch('203', '201', 'presence')).toBe(true);
    expect(await fetch('203', '201', 'dialog')).toBe(true);
  });

  test('group: only stations that share a ring group; the group lamp stays open', async () => {
    setPolicy('group');
    try {
      expect(await fetch('201', '202', 'presence')).toBe(true);
      expect(await fetch('201', '202', 'dialog')).toBe(true);
      expect(await fetch('203', '202', 'presence')).toBe(false);
      expect(await fetch('203', '202', 'dialog')).toBe(false);
      expect(await fetch('203', '203', 'presence')).toBe(true);
      expect(await fetch('203', '790', 'dialog')).toBe(true);
    } finally {
      setPolicy('all');
    }
  });

  test('none: a station watches only itself', async () => {
    setPolicy('none');
    try {
      expect(await fetch('201', '202', 'presence')).toBe(false);
      expect(await fetch('201', '202', 'dialog')).toBe(false);
      expect(await fetch('201', '201', 'presence')).toBe(true);
      expect(await fetch('201', '201', 'dialog')).toBe(true);
    } finally {
      setPolicy('all');
    }
  });
});
