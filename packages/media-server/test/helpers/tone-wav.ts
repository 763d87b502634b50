/** Test audio for the phones: 8 kHz mono 16-bit WAVs made with sox. */
import { execFileSync } from 'node:child_process';

/** sox from nothing (`-n`) into `file` as 8 kHz mono 16-bit, through `effects`. */
function soxWav(file: string, effects: string[]): void {
  execFileSync('sox', ['-n', '-r', '8000', '-c', '1', '-b', '16', file, ...effects]);
}

/** One sine, a fifth of full scale unless `volume` says. */
export function toneWav(file: string, freq: number, seconds: number, volume = 0.2): void {
  soxWav(file, ['synth', String(seconds), 'sine', String(freq), 'vol', String(volume)]);
}

/** Digital silence, for a phone that must send audio but whose sound no test listens to. */
export function silenceWav(file: string, seconds: number): void {
  soxWav(file, ['trim', '0', String(seconds)]);
}
