import { takeHeader } from '../../src/wire/client-message';

describe('takeHeader', () => {
  it('removes every occurrence in any letter case and keeps the last value given', () => {
    // drachtio-srf's digest client adds `call-id` beside the app's `Call-ID` when it re-sends.
    const headers = [
      { name: 'Call-ID', value: 'a@pbx' },
      { name: 'Expires', value: '60' },
      { name: 'call-id', value: 'b@pbx' },
    ];
    expect(takeHeader(headers, 'Call-ID')).toBe('b@pbx');
    expect(headers).toEqual([{ name: 'Expires', value: '60' }]);
    expect(takeHeader(headers, 'Call-ID')).toBeUndefined();
  });
});
