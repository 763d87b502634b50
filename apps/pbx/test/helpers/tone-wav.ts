/** Test tones for the phones: an 8 kHz mono 16-bit WAV of one sine (sox), at a fifth of full scale. */
import { execFileSync } from 'node:child_process';

export function toneWav(file: string, freq: number, seconds: number): void {
  execFileSync('sox', [
    '-n',
    '-r',
    '8000',
    '-c',
    '1',
    '-b',
    '16',
    file,
    'synth',
    String(seconds),
    'sine',
    String(freq),
    'vol',
    '0.2',
  ]);
}
