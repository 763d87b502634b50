/**
 * Errors of the HTTP API and the one place they become answers: every failure is a JSON body
 * `{ error, message, issues? }` with a 4xx status for the client's mistakes and 500 (logged) for
 * ours. Bad input never throws past this boundary.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { InputError } from '@pbx/admin';
import { ConfigError } from '@pbx/config';
import { ConflictError, LicenceError, NotFoundError } from '@pbx/store';

/** A failure with its HTTP status and a short machine-readable code. */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** The JSON body of an error answer. */
export interface ErrorBody {
  error: string;
  message: string;
  issues?: Array<{ path: string; message: string }>;
}

/** Parses `value` with `schema` or throws a 400 naming every bad field. */
export function parseInput<T>(schema: z.ZodType<T>, value: unknown, where: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new ValidationError(
    where,
    r.error.issues.map((i) => ({ path: i.path.join('.') || where, message: i.message })),
  );
}

/** Input that does not match its schema. */
export class ValidationError extends HttpError {
  override name = 'ValidationError';
  constructor(
    where: string,
    readonly issues: Array<{ path: string; message: string }>,
  ) {
    super(
      400,
      'invalid_input',
      `invalid ${where}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`,
    );
  }
}

/** Maps an error to status and body; unknown errors are logged and answered 500. */
export function errorAnswer(err: unknown, log: Logger): { status: number; body: ErrorBody } {
  if (err instanceof ValidationError)
    return { status: 400, body: { error: err.code, message: err.message, issues: err.issues } };
  if (err instanceof HttpError)
    return { status: err.status, body: { error: err.code, message: err.message } };
  if (err instanceof InputError)
    return { status: 400, body: { error: 'invalid_input', message: err.message } };
  if (err instanceof ConfigError) {
    return {
      status: 400,
      body: {
        error: 'invalid_input',
        message: err.message,
        issues: err.issues.map((i) => ({ path: i.key, message: i.message })),
      },
    };
  }
  if (err instanceof NotFoundError)
    return { status: 404, body: { error: 'not_found', message: err.message } };
  if (err instanceof ConflictError)
    return { status: 409, body: { error: 'conflict', message: err.message } };
  if (err instanceof LicenceError)
    return { status: 409, body: { error: 'licence', message: err.message } };
  const fe = err as Partial<FastifyError>;
  // Fastify's own client errors: unparsable JSON, wrong content type, body too large.
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500)
    return {
      status: fe.statusCode,
      body: {
        error: (fe.code ?? 'bad_request').toLowerCase(),
        message: fe.message ?? 'bad request',
      },
    };
  log.error({ err }, 'http request failed');
  return { status: 500, body: { error: 'internal', message: 'internal error' } };
}

/** Fastify's error handler: every error becomes {@link errorAnswer}. */
export function errorHandler(log: Logger) {
  return (err: unknown, _req: FastifyRequest, reply: FastifyReply): void => {
    const { status, body } = errorAnswer(err, log);
    if (err instanceof HttpError) void reply.headers(err.headers);
    void reply.status(status).send(body);
  };
}
