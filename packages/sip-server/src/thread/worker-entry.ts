/**
 * Where the SIP worker's code is: `sip-worker.js` next to this file in the compiled package
 * (dist, `npm start`), or the TypeScript source when the tests run the sources (ts-jest). Then
 * the worker compiles the sources on load with the TypeScript compiler already installed for the
 * build, caching each file's output by content hash under the package's node_modules/.cache (the
 * media server's worker does the same), so only the first worker of a run pays for the compiler.
 */
import path from 'node:path';

export function sipWorkerEntry(): { file: string; eval: boolean } {
  const file = path.join(__dirname, `sip-worker${path.extname(__filename)}`);
  if (file.endsWith('.js')) return { file, eval: false };
  const cache = path.resolve(__dirname, '../../node_modules/.cache/sip-worker-ts');
  const code = `
    const fs = require('node:fs');
    const path = require('node:path');
    const crypto = require('node:crypto');
    const dir = ${JSON.stringify(cache)};
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
