import { CliFixture, expectFailure } from './helpers';

describe('pbx mwi and pbx message', () => {
  let f: CliFixture;
  beforeEach(async () => {
    f = new CliFixture();
    for (const tel of ['201', '202']) await f.ok('ext', 'add', tel, '--password', 'Secret#2020x');
  });
  afterEach(() => f.cleanup());

  it('sets message-waiting counts and the unsolicited option, lists them', async () => {
    expect(await f.ok('mwi', 'set', '201', '2')).toBe('201: 2 new, 0 old (lamp on)\n');
    expect(await f.ok('mwi', 'set', '201', '0', '2')).toBe('201: 0 new, 2 old (lamp off)\n');
    expect(await f.ok('mwi', 'unsolicited', '202', 'on')).toBe(
      '202: unsolicited message-waiting on\n',
    );
    const list = await f.json<{ tel: string; newMessages: number; unsolicited: boolean }[]>(
      'mwi',
      'list',
    );
    expect(list.map((m) => [m.tel, m.newMessages, m.unsolicited])).toEqual([
      ['201', 0, false],
      ['202', 0, true],
    ]);
    expectFailure(await f.pbx('mwi', 'set', '201', 'many'), 2, /whole number/);
  });

  it('queues messages from the PBX to one station or all, and lists the history', async () => {
    expect(await f.ok('message', 'send', '201', 'Fire', 'drill', 'at', '3')).toBe(
      'queued for 1 station\n',
    );
    expect(await f.ok('message', 'send', 'all', 'Coffee')).toBe('queued for 2 stations\n');
    const list = await f.json<{ fromTel: string; toTel: string; body: string }[]>(
      'message',
      'list',
      '--ext',
      '201',
    );
    expect(list.map((m) => [m.fromTel, m.toTel, m.body])).toEqual([
      ['pbx', '201', 'Coffee'],
      ['pbx', '201', 'Fire drill at 3'],
    ]);
    expectFailure(await f.pbx('message', 'send', '299', 'hi'), 2, /no station 299/);
  });
});
