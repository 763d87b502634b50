/** `npm start`: runs the PBX on embedded defaults (SIP server in-process, SQLite under ./data). */
import { ConfigError } from '@pbx/config';
import { startPbx, type RunningPbx } from './pbx';
import { snapshotProcessEnv } from './process-env';

async function main(): Promise<void> {
  // Read once: drachtio-srf reads an environment variable for every SIP header (process-env.ts).
  snapshotProcessEnv();
  // Signals are handled from the first moment: a stop during start-up waits for it, then stops.
  let stopRequested: string | undefined;
  let running: RunningPbx | undefined;
  let stopping = false;
  let exitCode = 0;
  const stop = (signal: string, code = 0): void => {
    stopRequested = signal;
    exitCode = Math.max(exitCode, code);
    if (!running || stopping) return;
    stopping = true;
    running.ctx.log.info({ signal }, 'pbx stopping');
    running
      .stop()
      .then(() => process.exit(exitCode))
      .catch(() => process.exit(1));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // SIGHUP: read the TLS certificate files again (renewed certificates), no restart.
  process.on('SIGHUP', () => void running?.reloadTls());
  watchNpm(() => stop('npm exited'));
  try {
    // The SIP server's thread died: stop the rest and exit 1, for the supervisor to restart us.
    running = await startPbx({ env: process.env, onFatal: () => stop('sip-server failed', 1) });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`pbx: configuration error: ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`pbx: failed to start: ${(err as Error).message}\n`);
    process.exit(1);
  }
  if (stopRequested) stop(stopRequested, exitCode);
}

/**
 * Under `npm start`, stops the PBX when npm goes away without passing a signal on (killed, or a
 * shell between them died): an orphaned PBX would keep holding its ports. npm is gone when our
 * parent process changes. Not done when started otherwise, so `nohup node main.js &` survives
 * the shell that started it.
 */
function watchNpm(onGone: () => void): void {
  if (!process.env['npm_lifecycle_event']) return;
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onGone();
  }, 250);
  timer.unref();
}

void main();
