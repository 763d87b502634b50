/**
 * The web console's static files, served from apps/pbx/console/ (shipped with the package, no
 * CDN). The file list is read once at start-up; only those names are served, so no path from a
 * request ever reaches the file system.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

/** The console folder: two levels above this file in both src/http and dist/http. */
export const CONSOLE_DIR = path.join(__dirname, '..', '..', 'console');

export function consoleRoute(app: FastifyInstance, dir = CONSOLE_DIR): void {
  const files = new Map<string, { type: string; body: Buffer }>();
  let names: string[] = [];
  try {
    names = readdirSync(dir);
  } catch {
    names = [];
  }
  for (const name of names) {
    const type = TYPES[path.extname(name)];
    if (type) files.set(name, { type, body: readFileSync(path.join(dir, name)) });
  }
  const send = (name: string) => files.get(name);
  app.get('/', async (_req, reply) => {
    const f = send('index.html');
    if (!f)
      return reply.status(404).send({ error: 'not_found', message: 'no web console installed' });
    return reply
      .header('Content-Type', f.type)
      .header('Cache-Control', 'no-cache')
      .header(
        'Content-Security-Policy',
        "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self'",
      )
      .send(f.body);
  });
  app.get('/console/:file', async (req, reply) => {
    const { file } = req.params as { file: string };
    const f = send(file);
    if (!f) return reply.status(404).send({ error: 'not_found', message: 'no such file' });
    return reply.header('Content-Type', f.type).header('Cache-Control', 'no-cache').send(f.body);
  });
}
