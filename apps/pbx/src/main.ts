/** `npm start`: runs the PBX on embedded defaults (SIP server in-process, SQLite under ./data). */
import { ConfigError } from '@pbx/config';
import { startPbx } from './pbx';

async function main(): Promise<void> {
  let pbx;
  try {
    pbx = await startPbx({ env: process.env });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`pbx: configuration error: ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`pbx: failed to start: ${(err as Error).message}\n`);
    process.exit(1);
  }
  const running = pbx;
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    running.ctx.log.info({ signal }, 'pbx stopping');
    running
      .stop()
      .then(() => process.exit(0))
      .catch(() => process.exit(1));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

void main();
