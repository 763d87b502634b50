/** Path and query parameters several route files share (zod). */
import { z } from 'zod';

/** `/:id` of a stored row (SQLite rowid): a positive integer, bounded so it parses exactly. */
export const IdParam = z.object({
  id: z.coerce
    .number()
    .int()
    .positive()
    .max(2 ** 40),
});

/** A moment in a query: epoch milliseconds or an ISO date (`since`, `until`). */
export const EpochMs = z.preprocess(
  (v) =>
    typeof v === 'string' && /^\d+$/.test(v)
      ? Number(v)
      : typeof v === 'string'
        ? Date.parse(v)
        : v,
  z.number({ error: 'must be epoch milliseconds or an ISO date' }).finite(),
);
