/**
 * A 3-member conference driven by the unmodified drachtio-fsmrf: each member plays its own tone
 * into the conference; what each member hears (recorded at its far end) holds the other two
 * tones and not its own. Also the conference API replies fsmrf parses.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadWav } from '../../src/media';
import { goertzel } from '../helpers/audio';
import type { Any, Stack } from './stack';
import { endpointPair, startStack, withTimeout } from './stack';

describe('conference through drachtio-fsmrf', () => {
  let stack: Stack;
  let dir: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fsmrf-conf-'));
    stack = await startStack({ soundsDir: dir });
  });
  afterAll(async () => {
    await stack?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('mixes three members: each hears the other two tones, not its own', async () => {
    const conf: Any = await stack.ms.createConference('room1', { maxMembers: 5 });
    const tones = [500, 900, 1400];
    const pairs: Array<[Any, Any]> = [];
    for (let i = 0; i < 3; i++) pairs.push(await endpointPair(stack.ms));
    const joins = [];
    for (const [member] of pairs) joins.push(await member.join('room1'));
    expect(joins.map((j: { memberId: number }) => j.memberId)).toEqual([2, 3, 4]);
    expect(await conf.getSize()).toBe(4);
    // Each member records what the conference sends it (record_session of the write direction);
    // each member's far end plays that member's tone into the conference.
    const recs = pairs.map((_, i) => path.join(dir, `hears-${i}.wav`));
    for (let i = 0; i < 3; i++) {
      await pairs[i]![0].set('RECORD_WRITE_ONLY', 'true');
      await pairs[i]![0].execute('record_session', recs[i]);
    }
    await Promise.all(
      pairs.map(([, far], i) => far.play(`tone_stream://%(1500,0,${tones[i]});loops=1`)),
    );
    for (let i = 0; i < 3; i++) await pairs[i]![0].execute('stop_record_session', recs[i]);
    for (let i = 0; i < 3; i++) {
      const s = await loadWav(recs[i]!);
      const level = (f: number): number => goertzel(s, f);
      const others = tones.filter((_, j) => j !== i);
      for (const f of others) expect(level(f)).toBeGreaterThan(1e-4);
      expect(level(tones[i]!)).toBeLessThan(Math.min(...others.map(level)) / 20);
    }
    // API replies fsmrf relies on.
    expect(await stack.ms.api('conference room1 list count')).toBe('4');
    expect(await stack.ms.api('conference room1 get max_members')).toBe('5');
    expect(await stack.ms.api('conference room1 mute 2')).toBe('+OK mute 2\n');
    expect(await stack.ms.api('conference nosuch list count')).toBe(
      '-ERR Conference nosuch not found\n',
    );
    await pairs[0]![0].unjoin();
    expect(await conf.getSize()).toBe(3);
    // Destroying the conference (endconf control leg) hangs up the remaining members.
    const gone = pairs.slice(1).map(([m]) => new Promise((resolve) => m.once('destroy', resolve)));
    await conf.destroy();
    await withTimeout(Promise.all(gone), 5000, 'members hung up');
    for (const [m, far] of pairs) {
      if (m.connected !== false) await m.destroy().catch(() => undefined);
      await far.destroy().catch(() => undefined);
    }
  });
});
