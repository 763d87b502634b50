import Table from 'cli-table3';
import type { CliIo } from './io';

/** Writes a table with a header row, without colours (stable for scripts and tests). */
export function printTable(io: CliIo, head: string[], rows: (string | number)[][]): void {
  const table = new Table({ head, style: { head: [], border: [] } });
  for (const row of rows) table.push(row.map(String));
  io.stdout.write(`${table.toString()}\n`);
}

/** Writes label/value pairs as a two-column table. */
export function printPairs(io: CliIo, pairs: [string, string | number][]): void {
  const table = new Table({ style: { head: [], border: [] } });
  for (const [k, v] of pairs) table.push({ [k]: String(v) });
  io.stdout.write(`${table.toString()}\n`);
}

/** Writes a value as indented JSON. */
export function printJson(io: CliIo, value: unknown): void {
  io.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Writes a line. */
export function say(io: CliIo, line: string): void {
  io.stdout.write(`${line}\n`);
}

/** Epoch ms as an ISO time without milliseconds (UTC). */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Seconds left until `at`, as `540s`, `12m 5s`, `3h 2m`. */
export function remaining(at: number, now: number): string {
  let s = Math.max(0, Math.round((at - now) / 1000));
  if (s < 60) return `${s}s`;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return h > 0 ? `${h}h ${m}m` : `${m}m ${s}s`;
}
