/**
 * Where a worker thread's code is: the compiled `.js` next to the module that starts it (dist,
 * `npm start`), or the TypeScript source when the tests run the sources (ts-jest). Then the worker
 * compiles the sources on load with the TypeScript compiler already installed for the build,
 * caching each file's output by content hash under `cacheDir`, so only the first worker of a run
 * pays for the compiler. Shared by the SIP worker and the media server's engine worker.
 */
import path from 'node:path';

/** What `new Worker(entry.file, { eval: entry.eval })` needs to start `file`. */
export interface WorkerEntry {
  file: string;
  eval: boolean;
}

/**
 * The entry for the worker module `file` (given with the extension of the calling module, so
 * `.js` from dist and `.ts` under ts-jest); `cacheDir` holds transpiled sources in the latter case.
 */
export function workerEntryFor(file: string, cacheDir: string): WorkerEntry {
  if (file.endsWith('.js')) return { file, eval: false };
  const code = `
    const fs = require('node:fs');
    const path = require('node:path');
    const crypto = require('node:crypto');
    const dir = ${JSON.stringify(cacheDir)};
    let ts;
    require.extensions['.ts'] = (m, f) => {
      const src = fs.readFileSync(f, 'utf8');
      const key = crypto.createHash('sha1').update(f).update('\\0').update(src).digest('hex');
      const hit = path.join(dir, key + '.js');
      let out;
      try {
        out = fs.readFileSync(hit, 'utf8');
      } catch {
        ts ??= require('typescript');
        out = ts.transpileModule(src, { fileName: f, compilerOptions: {
          module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true,
        } }).outputText;
        try {
          fs.mkdirSync(dir, { recursive: true });
          const tmp = hit + '.' + crypto.randomBytes(6).toString('hex');
          fs.writeFileSync(tmp, out);
          fs.renameSync(tmp, hit);
        } catch {}
      }
      m._compile(out, f);
    };
    require(${JSON.stringify(file)});`;
  return { file: code, eval: true };
}

/** The SIP server's worker (`sip-worker.ts`). */
export function sipWorkerEntry(): WorkerEntry {
  return workerEntryFor(
    path.join(__dirname, `sip-worker${path.extname(__filename)}`),
    path.resolve(__dirname, '../../node_modules/.cache/sip-worker-ts'),
  );
}
