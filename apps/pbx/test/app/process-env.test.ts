import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { snapshotProcessEnv } from '../../src/process-env';

describe('snapshotProcessEnv', () => {
  const real = process.env;
  afterAll(() => {
    process.env = real;
  });

  it('puts a plain object with the same variables in place of process.env, once', () => {
    process.env['PBX_SNAPSHOT_TEST'] = 'before';
    const before = { ...process.env };
    snapshotProcessEnv();
    const snapshot = process.env;
    expect(snapshot).not.toBe(real);
    expect(Object.getPrototypeOf(snapshot)).toBe(Object.prototype);
    expect({ ...snapshot }).toEqual(before);
    snapshotProcessEnv();
    expect(process.env).toBe(snapshot);
  });

  it('in a real process: children and worker threads get the same variables', () => {
    // Jest gives tests a process object of their own; this runs the module in a plain node.
    const source = readFileSync(join(__dirname, '../../src/process-env.ts'), 'utf8');
    const js = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    const script = `
      const m = { exports: {} };
      new Function('exports', 'module', ${JSON.stringify(js)})(m.exports, m);
      const { execFileSync } = require('node:child_process');
      const { Worker } = require('node:worker_threads');
      m.exports.snapshotProcessEnv();
      const plain = Object.getPrototypeOf(process.env) === Object.prototype;
      const child = execFileSync(process.execPath, ['-e', 'process.stdout.write(process.env.PBX_SNAPSHOT_TEST)'], { encoding: 'utf8' });
      const w = new Worker("require('node:worker_threads').parentPort.postMessage(process.env.PBX_SNAPSHOT_TEST)", { eval: true });
      w.once('message', (inWorker) => {
        process.stdout.write(JSON.stringify({ plain, own: process.env.PBX_SNAPSHOT_TEST, child, inWorker }));
        void w.terminate();
      });
    `;
    const out = execFileSync(process.execPath, ['-e', script], {
      encoding: 'utf8',
      timeout: 20_000,
      env: { ...real, PBX_SNAPSHOT_TEST: 'inherited' },
    });
    expect(JSON.parse(out)).toEqual({
      plain: true,
      own: 'inherited',
      child: 'inherited',
      inWorker: 'inherited',
    });
  });
});
