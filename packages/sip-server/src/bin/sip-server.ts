#!/usr/bin/env node
/**
 * Standalone embedded SIP server: `sip-server --sip-port 5060 --control-port 9022 --secret S`.
 * Logs one JSON line `sip-server ready` when listening and stops cleanly on SIGTERM/SIGINT.
 */
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import pino from 'pino';
import { startSipServer } from '../server';

const USAGE = `usage: sip-server [--sip-host ADDR] [--sip-port N] [--tls-port N --tls-cert FILE --tls-key FILE]
                  [--external-ip ADDR] [--control-host ADDR] [--control-port N] --secret SECRET
                  [--t1 MS] [--options-auto-answer]
The secret may also come from DRACHTIO_SECRET. LOG_LEVEL sets the log level (default info).`;

function fail(msg: string): never {
  process.stderr.write(`sip-server: ${msg}\n${USAGE}\n`);
  process.exit(2);
}

function port(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    fail(`--${name} must be a port number 0-65535 (got "${v}")`);
  return n;
}

async function main(): Promise<void> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        'sip-host': { type: 'string' },
        'sip-port': { type: 'string' },
        'tls-port': { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        'external-ip': { type: 'string' },
        'control-host': { type: 'string' },
        'control-port': { type: 'string' },
        secret: { type: 'string' },
        t1: { type: 'string' },
        'options-auto-answer': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (err) {
    fail((err as Error).message);
  }
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const secret = values.secret ?? process.env['DRACHTIO_SECRET'];
  if (!secret) fail('--secret is required');
  if (secret.includes('|')) fail('--secret must not contain "|"');
  if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined))
    fail('--tls-cert and --tls-key go together');
  const t1 = values.t1 === undefined ? undefined : Number(values.t1);
  if (t1 !== undefined && (!Number.isFinite(t1) || t1 <= 0))
    fail(`--t1 must be a positive number of milliseconds (got "${values.t1}")`);

  const logger = pino({
    level: process.env['LOG_LEVEL'] ?? 'info',
    redact: ['secret', '*.secret'],
  });
  let tls;
  if (values['tls-cert'] && values['tls-key']) {
    try {
      tls = { cert: readFileSync(values['tls-cert']), key: readFileSync(values['tls-key']) };
    } catch (err) {
      fail(`cannot read TLS files: ${(err as Error).message}`);
    }
  }
  const server = await startSipServer({
    sip: {
      host: values['sip-host'] ?? '0.0.0.0',
      port: port('sip-port', values['sip-port'], 5060),
      tlsPort: port('tls-port', values['tls-port'], 5061),
      tls,
      externalAddress: values['external-ip'],
    },
    control: {
      host: values['control-host'] ?? '127.0.0.1',
      port: port('control-port', values['control-port'], 9022),
      secret,
    },
    timers: t1 ? { t1 } : undefined,
    optionsAutoAnswer: values['options-auto-answer'] ?? false,
    logger,
  });
  logger.info({ sip: server.sipAddresses, control: server.control }, 'sip-server ready');
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'sip-server stopping');
    server
      .stop()
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        logger.error({ err }, 'stop failed');
        process.exit(1);
      });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`sip-server: ${(err as Error).message}\n`);
  process.exit(1);
});
