/**
 * The SIP server's TLS certificate as files (sip.tlsCert, sip.tlsKey, sip.tlsCa): read at start,
 * and read again without a restart when a file changes or on SIGHUP. A new certificate is used by
 * connections made from then on; one that cannot be used (a half-written file, a key of another
 * certificate) is refused with an error in the log and the current one stays.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { PbxConfig } from '@pbx/config';
import type { TlsCredentials, TlsServerSettings } from '@pbx/sip-server';
import type { Logger } from 'pino';

export interface TlsFiles {
  cert: string;
  key: string;
  ca?: string;
}

/** The TLS files of the configuration, or undefined when TLS is off. */
export function tlsFilesOf(config: PbxConfig): TlsFiles | undefined {
  const { tlsCert, tlsKey, tlsCa } = config.sip;
  if (!tlsCert || !tlsKey) return undefined;
  return { cert: tlsCert, key: tlsKey, ...(tlsCa ? { ca: tlsCa } : {}) };
}

/** Reads the files (PEM); rejects with the file's name when one cannot be read. */
export async function readTlsFiles(files: TlsFiles): Promise<TlsCredentials> {
  const read = async (what: string, file: string): Promise<Buffer> => {
    try {
      return await readFile(file);
    } catch (err) {
      throw new Error(`cannot read TLS ${what} ${file}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  };
  return {
    cert: await read('certificate', files.cert),
    key: await read('key', files.key),
    ...(files.ca ? { ca: await read('CA file', files.ca) } : {}),
  };
}

/** The SIP server's TLS settings from the configuration. */
export async function tlsSettingsOf(config: PbxConfig): Promise<TlsServerSettings | undefined> {
  const files = tlsFilesOf(config);
  if (!files) return undefined;
  return { ...(await readTlsFiles(files)), clientCert: config.sip.tlsClientCert };
}

export interface TlsReloaderOptions {
  files: TlsFiles;
  /** Installs new credentials; throws when they are unusable. */
  install(credentials: TlsCredentials): void | Promise<void>;
  log: Logger;
  /** Quiet time after the last change before reading (writers replace files in several steps). */
  settleMs?: number;
}

/**
 * Watches the directories of the TLS files (a watch on the file itself is lost when a tool
 * replaces it by renaming a new one over it, as certificate renewers do) and reloads after a
 * change to one of them has settled.
 */
export class TlsReloader {
  private readonly watchers: FSWatcher[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<boolean> | undefined;
  private again = false;
  /** Successful reloads so far (tests and logs). */
  reloads = 0;

  constructor(private readonly opts: TlsReloaderOptions) {}

  /** Starts watching; a directory that cannot be watched is logged, SIGHUP still works. */
  start(): void {
    const names = new Map<string, Set<string>>();
    for (const file of Object.values(this.opts.files) as string[]) {
      const dir = path.dirname(path.resolve(file));
      const set = names.get(dir) ?? new Set<string>();
      set.add(path.basename(file));
      names.set(dir, set);
    }
    for (const [dir, files] of names) {
      try {
        const w = watch(dir, { persistent: false }, (_event, name) => {
          if (name === null || files.has(name.toString())) this.schedule();
        });
        w.on('error', (err) => this.opts.log.warn({ err, dir }, 'tls file watch failed'));
        this.watchers.push(w);
      } catch (err) {
        this.opts.log.warn({ err, dir }, 'cannot watch the TLS files: reload with SIGHUP');
      }
    }
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const w of this.watchers.splice(0)) w.close();
  }

  /** Reads the files and installs them now; resolves false (and logs) when refused. */
  reload(): Promise<boolean> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.load().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        void this.reload();
      }
    });
    return this.running;
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.reload();
    }, this.opts.settleMs ?? 300);
  }

  private async load(): Promise<boolean> {
    try {
      await this.opts.install(await readTlsFiles(this.opts.files));
      this.reloads++;
      this.opts.log.info({ cert: this.opts.files.cert }, 'tls certificate reloaded');
      return true;
    } catch (err) {
      this.opts.log.error(
        { err, cert: this.opts.files.cert },
        'tls certificate not reloaded: the current one stays',
      );
      return false;
    }
  }
}
