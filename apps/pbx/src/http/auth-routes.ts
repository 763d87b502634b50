/**
 * Log in and out. The administrator logs in as `admin` with the password set by
 * `pbx admin passwd`; a station user with the station number and its CTI password
 * (`pbx ext set <tel> --cti-password`), never the SIP password. Failed attempts are limited per
 * client address and user, and every attempt is written to the audit log.
 */
import type { FastifyInstance } from 'fastify';
import { checkWebPassword } from '@pbx/admin';
import { z } from 'zod';
import type { HttpContext } from './http-context';
import { HttpError, parseInput } from './http-errors';
import { sessionCookie, type Principal } from './sessions';

const PasswordSchema = z
  .object({ current: z.string().max(1024).optional(), password: z.string().max(1024) })
  .strict();
const LoginSchema = z
  .object({
    user: z.string().min(1).max(64),
    password: z.string().min(1).max(256),
  })
  .strict();

export function authRoutes(app: FastifyInstance, h: HttpContext): void {
  app.post('/api/login', async (req, reply) => {
    const { user, password } = parseInput(LoginSchema, req.body, 'login');
    const key = `${req.ip}|${user}`;
    const wait = h.limiter.retryAfter(key);
    if (wait > 0) {
      h.metrics.login('limited');
      await h.audit(`web:${user}`, 'web login', { ip: req.ip }, 'failed', 'too many attempts');
      throw new HttpError(429, 'too_many_attempts', 'too many failed logins; try again later', {
        'Retry-After': String(Math.ceil(wait / 1000)),
      });
    }
    let principal: Principal | undefined;
    if (/^\d{2,8}$/.test(user)) {
      if (await h.store.webAuth.verifyCti(user, password))
        principal = { role: 'station', tel: user };
    } else if (await h.store.webAuth.verifyAdmin(user, password)) {
      principal = { role: 'admin', name: user };
    }
    if (!principal) {
      h.limiter.failed(key);
      h.metrics.login('failed');
      h.deps.ctx.log.info({ user, ip: req.ip }, 'web login refused');
      await h.audit(`web:${user}`, 'web login', { ip: req.ip }, 'failed', 'wrong user or password');
      throw new HttpError(401, 'bad_credentials', 'wrong user or password');
    }
    h.limiter.succeeded(key);
    h.metrics.login('ok');
    const session = h.sessions.create(principal);
    await h.audit(principal, 'web login', { ip: req.ip });
    void reply.header(
      'Set-Cookie',
      sessionCookie(session.token, h.secure, h.config.http.sessionIdle),
    );
    return { token: session.token, ...principalJson(principal) };
  });

  app.post('/api/logout', async (req, reply) => {
    const token = h.token(req);
    if (token) h.sessions.end(token);
    void reply.header('Set-Cookie', sessionCookie('', h.secure, 0));
    return { ok: true };
  });

  // `pbx admin passwd` for a logged-in administrator: the current password is required.
  app.put('/api/admin/password', async (req) => {
    const who = h.admin(req);
    const { current, password } = parseInput(PasswordSchema, req.body, 'body');
    // The `pbx` command's local token acts for the administrator account `admin`.
    const name = who.name === 'cli' ? 'admin' : who.name;
    await h.verifyCurrent(req, name, current);
    await h.store.webAuth.setAdminPassword(checkWebPassword(password), name);
    h.deps.ctx.log.info({ user: name, ip: req.ip }, 'web administrator password changed');
    await h.audit(who, 'admin passwd', { ip: req.ip });
    return { ok: true };
  });

  // A station user's own CTI password: the current one is required; other sessions end.
  app.put('/api/me/password', async (req, reply) => {
    const who = h.principal(req);
    if (who.role !== 'station')
      throw new HttpError(
        403,
        'forbidden',
        'station users only; the administrator uses PUT /api/admin/password or /api/stations/:tel/cti-password',
      );
    const { current, password } = parseInput(PasswordSchema, req.body, 'body');
    await h.verifyCurrent(req, who.tel, current);
    await h.store.webAuth.setCtiPassword(who.tel, checkWebPassword(password));
    h.sessions.endStation(who.tel);
    // This browser stays logged in with a fresh session.
    const session = h.sessions.create(who);
    void reply.header(
      'Set-Cookie',
      sessionCookie(session.token, h.secure, h.config.http.sessionIdle),
    );
    h.deps.ctx.log.info({ user: who.tel, ip: req.ip }, 'CTI password changed');
    await h.audit(who, 'ext set', { tel: who.tel, fields: ['ctiPassword'] });
    return { ok: true, token: session.token };
  });

  app.get('/api/session', async (req) => principalJson(h.principal(req)));
}

function principalJson(p: Principal): Record<string, string> {
  return p.role === 'admin' ? { role: 'admin', user: p.name } : { role: 'station', user: p.tel };
}
