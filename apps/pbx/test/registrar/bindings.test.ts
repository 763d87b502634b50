import type { Registration } from '@pbx/store';
import { BindingTable } from '../../src/registrar/bindings';

let id = 0;
const reg = (tel: string, contact: string, expiresAt: number, callId = 'c1'): Registration => ({
  id: ++id,
  tel,
  contact,
  sourceIp: '127.0.0.1',
  sourcePort: 5060,
  protocol: 'udp',
  userAgent: '',
  expiresAt,
  callId,
  cseq: 1,
  extra: {},
  registeredAt: 0,
  updatedAt: 0,
});

test('several contacts per station; counts, removal and expiry', () => {
  const t = new BindingTable();
  t.load(
    [
      reg('201', 'sip:a', 1_000),
      reg('201', 'sip:b', 2_000),
      reg('202', 'sip:c', 500),
      reg('203', 'sip:d', 50),
    ],
    100,
  );
  expect(t.size).toEqual({ stations: 2, bindings: 3 }); // 203 had expired at load
  expect(t.live('201', 1_500).map((r) => r.contact)).toEqual(['sip:b']);
  expect(t.isRegistered('202', 499)).toBe(true);
  expect(t.isRegistered('202', 500)).toBe(false);
  // Below the threshold, entries are counted as they are (the sweeper drops expired ones soon);
  // from the threshold on, only live bindings count, so a full licence is judged exactly.
  expect(t.registeredStations(600, 3)).toBe(2);
  expect(t.registeredStations(600, 2)).toBe(1);
  expect(t.registeredStations(600)).toBe(1);
  t.set(reg('201', 'sip:a', 3_000));
  expect(t.size.bindings).toBe(3);
  expect(t.takeExpired(2_000).map((r) => r.contact)).toEqual(['sip:b', 'sip:c']);
  expect(t.size).toEqual({ stations: 1, bindings: 1 });
  expect(t.remove('201', 'sip:zzz')).toBe(false);
  expect(t.removeAll('201').map((r) => r.contact)).toEqual(['sip:a']);
  expect(t.size).toEqual({ stations: 0, bindings: 0 });
  expect(t.tels()).toEqual([]);
});

test('the sweep finds a binding refreshed to expire sooner, and skips the scan until one can expire', () => {
  const t = new BindingTable();
  t.load([reg('201', 'sip:a', 1_000), reg('202', 'sip:b', 5_000)], 0);
  expect(t.takeExpired(999)).toEqual([]);
  // Refreshed with a shorter expiry than any before.
  t.set(reg('202', 'sip:b', 500));
  expect(t.takeExpired(600).map((r) => r.contact)).toEqual(['sip:b']);
  expect(t.takeExpired(999)).toEqual([]);
  expect(t.takeExpired(1_000).map((r) => r.contact)).toEqual(['sip:a']);
  expect(t.size).toEqual({ stations: 0, bindings: 0 });
  t.set(reg('203', 'sip:c', 2_000));
  expect(t.takeExpired(1_999)).toEqual([]);
  expect(t.takeExpired(2_000).map((r) => r.contact)).toEqual(['sip:c']);
});

test('all() lists every binding of a station without a copy, and allows removal meanwhile', () => {
  const t = new BindingTable();
  t.load([reg('201', 'sip:a', 1_000), reg('201', 'sip:b', 50), reg('202', 'sip:c', 500)], 0);
  expect([...t.all('201')].map((r) => r.contact)).toEqual(['sip:a', 'sip:b']);
  expect([...t.all('999')]).toEqual([]);
  for (const r of t.all('201')) t.remove('201', r.contact);
  expect(t.size).toEqual({ stations: 1, bindings: 1 });
});
