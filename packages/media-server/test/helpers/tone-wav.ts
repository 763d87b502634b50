/** Test tones for the phones: an 8 kHz mono 16-bit WAV of one sine (sox), a fifth of full scale unless `volume` says. */
import { execFileSync } from 'node:child_process';

export function toneWav(file: string, freq: number, seconds: number, volume = 0.2): void {
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
    String(volume),
  ]);
}
