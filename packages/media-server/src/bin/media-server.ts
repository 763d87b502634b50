#!/usr/bin/env node
/**
 * Standalone media server: `media-server --sip-port 5080 --esl-port 8021 --esl-password ClueCon`.
 * Logs one JSON line `media-server ready` when listening; exits 2 on bad arguments; stops
 * cleanly on SIGTERM/SIGINT.
 */
import { parseArgs } from 'node:util';
import pino from 'pino';
import { ZodError } from 'zod';
import { startMediaServer } from '../server';
import type { MediaServerHandle } from '../server';

const USAGE = `usage: media-server [--sip-host ADDR] [--sip-port N] [--esl-host ADDR] [--esl-port N]
                    [--esl-password PW] [--rtp-ports MIN-MAX] [--sounds-dir DIR] [--profile NAME]
                    [--log-level fatal|error|warn|info|debug|trace]
defaults: --sip-host 127.0.0.1 --sip-port 5080 --esl-host 127.0.0.1 --esl-port 8021
          --esl-password ClueCon --rtp-ports 20000-20999 --profile drachtio_mrf`;

function fail(msg: string): never {
  process.stderr.write(`media-server: ${msg}\n${USAGE}\n`);
  process.exit(2);
}

function num(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isInteger(n))
    fail(`--${name} must be a whole number (got "${v}")`);
  return n;
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        'sip-host': { type: 'string' },
        'sip-port': { type: 'string' },
        'esl-host': { type: 'string' },
        'esl-port': { type: 'string' },
        'esl-password': { type: 'string' },
        'rtp-ports': { type: 'string' },
        'sounds-dir': { type: 'string' },
        profile: { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    fail((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const level = values['log-level'] ?? 'info';
  if (!['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].includes(level))
    fail(`--log-level must be one of fatal, error, warn, info, debug, trace (got "${level}")`);
  let rtp: { portMin: number; portMax: number } | undefined;
  if (values['rtp-ports'] !== undefined) {
    const m = /^(\d+)-(\d+)$/.exec(values['rtp-ports']);
    if (!m) fail(`--rtp-ports must look like 20000-20999 (got "${values['rtp-ports']}")`);
    rtp = { portMin: Number(m[1]), portMax: Number(m[2]) };
  }
  const logger = pino({ level, base: { name: 'media-server' } });
  let server: MediaServerHandle;
  try {
    server = await startMediaServer({
      sip: { host: values['sip-host'], port: num('sip-port', values['sip-port']) },
      esl: {
        host: values['esl-host'],
        port: num('esl-port', values['esl-port']),
        password: values['esl-password'],
      },
      rtp,
      soundsDir: values['sounds-dir'],
      profile: values.profile,
      logger,
    });
  } catch (err) {
    if (err instanceof ZodError)
      fail(err.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
    logger.fatal({ err }, 'media-server failed to start');
    process.exit(1);
  }
  logger.info({ sip: server.sip, esl: server.esl, rtp: server.rtp }, 'media-server ready');
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'media-server stopping');
    void server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

void main();
