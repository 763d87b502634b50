/** Path parameters several route files share (zod). */
import { z } from 'zod';

/** `/:id` of a stored row (SQLite rowid): a positive integer, bounded so it parses exactly. */
export const IdParam = z.object({
  id: z.coerce
    .number()
    .int()
    .positive()
    .max(2 ** 40),
});
