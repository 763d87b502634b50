/**
 * SUBSCRIBE for an event package the PBX does not serve is answered 489 Bad Event
 * (RFC 6665 §4.2.1.1), not 503, so phones do not keep retrying; Allow-Events lists the packages
 * served. A phone's own DND key (`as-feature-event`) gets this clean 489: DND is set with the
 * feature codes 40+1/0 and shown to others on busy lamps and presence.
 */
import { headerOf, received } from '../helpers/calls-harness';
import { describeSippResult, runSipp, scenario } from '../helpers/sipp';
import { startTestPbx, type TestPbx } from '../helpers/start-test-pbx';

jest.setTimeout(60_000);

describe('SUBSCRIBE', () => {
  let pbx: TestPbx;
  beforeAll(async () => {
    pbx = await startTestPbx();
  });
  afterAll(async () => {
    await pbx?.[Symbol.asyncDispose]();
  });

  test.each(['as-feature-event', 'x-unknown'])(
    'for %s is answered 489 Bad Event with Allow-Events',
    async (event) => {
      const r = await runSipp({
        scenario: scenario('uac-subscribe-expect-489.xml'),
        target: pbx.target,
        service: '201',
        keys: { tel: '202', event },
        traceMessages: true,
        timeoutMs: 10_000,
      });
      if (r.code !== 0 || r.killed) throw new Error(`SUBSCRIBE ${event}\n${describeSippResult(r)}`);
      const finals = received(r).filter((m) => /^SIP\/2\.0 [2-6]\d\d /.test(m));
      expect(finals.map((m) => m.split(/\r?\n/)[0])).toEqual(['SIP/2.0 489 Bad Event']);
      expect(headerOf(finals[0], 'Allow-Events')?.split(/,\s*/)).toContain('dialog');
    },
  );
});
