import { UsageError } from './errors';

const UNITS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/**
 * A point in time from `--since`: an ISO time (`2024-05-01T10:00:00Z`, `2024-05-01`) or a
 * duration back from now (`45s`, `30m`, `1h`, `2d`, `1w`).
 */
export function parseSince(text: string, now: number, flag = '--since'): number {
  const t = text.trim();
  const m = /^(\d+(?:\.\d+)?)\s*([smhdw])$/i.exec(t);
  if (m && m[1] !== undefined && m[2] !== undefined) {
    return now - Number(m[1]) * (UNITS[m[2].toLowerCase()] ?? 0);
  }
  if (/^\d{4}-\d{2}-\d{2}/.test(t)) {
    const at = Date.parse(t);
    if (!Number.isNaN(at)) return at;
  }
  throw new UsageError(
    `${flag}: must be an ISO time (2024-05-01T10:00:00Z) or a duration such as 30m, 1h, 2d (got ${JSON.stringify(text)})`,
  );
}

/** A duration in seconds from `45s`, `10m`, `1h`, `2d` or a plain number of seconds. */
export function parseDurationSeconds(text: string, flag: string): number {
  const t = text.trim();
  if (/^\d+(\.\d+)?$/.test(t) && Number(t) > 0) return Number(t);
  const m = /^(\d+(?:\.\d+)?)\s*(ms|[smhdw])$/i.exec(t);
  if (m && m[1] !== undefined && m[2] !== undefined && Number(m[1]) > 0) {
    const unit = m[2].toLowerCase();
    return unit === 'ms' ? Number(m[1]) / 1000 : (Number(m[1]) * (UNITS[unit] ?? 0)) / 1000;
  }
  throw new UsageError(
    `${flag}: must be a duration such as 90s, 10m, 1h (got ${JSON.stringify(text)})`,
  );
}
