/**
 * docker-compose.yml stays in step with the option table: every PBX_* variable it passes to the
 * app is an option's environment name, and the file is valid for docker-compose (checked with
 * Debian's docker-compose when it is installed; it needs no Docker engine) — refused while a
 * required secret is missing, accepted once .env.example's values are filled in.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { envNamesOf, OPTIONS } from '../src';

const ROOT = path.resolve(__dirname, '../../..');
const COMPOSE = path.join(ROOT, 'docker-compose.yml');
const compose = readFileSync(COMPOSE, 'utf8');

function hasDockerCompose(): boolean {
  try {
    execFileSync('docker-compose', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

test('every PBX_* variable given to the app names an option', () => {
  const known = new Set(OPTIONS.flatMap((o) => envNamesOf(o)));
  const pbxSection = compose.slice(compose.indexOf('\n  pbx:'));
  const passed = [...pbxSection.matchAll(/^\s+(PBX_[A-Z_]+|LOG_LEVEL):/gm)].map((m) => m[1]!);
  expect(passed.length).toBeGreaterThan(5);
  expect(passed.filter((name) => !known.has(name))).toEqual([]);
});

test('images are pinned to versions, never latest', () => {
  const images = [...compose.matchAll(/^\s+image:\s*(\S+)/gm)].map((m) => m[1]!);
  expect(images.length).toBeGreaterThanOrEqual(3);
  for (const image of images) expect(image).toMatch(/:[0-9][\w.-]*$/);
});

(hasDockerCompose() ? describe : describe.skip)('docker-compose config', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'compose-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const run = (envFile: string) =>
    spawnSync('docker-compose', ['--env-file', envFile, '-f', COMPOSE, 'config', '--quiet'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '' },
    });

  test('refuses to start while a secret is unset', () => {
    const envFile = path.join(dir, 'empty.env');
    writeFileSync(envFile, readFileSync(path.join(ROOT, '.env.example')));
    const r = run(envFile);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/set PBX_[A-Z_]+ in \.env/);
  });

  test('is valid once .env.example is filled in', () => {
    const envFile = path.join(dir, 'filled.env');
    const filled = readFileSync(path.join(ROOT, '.env.example'), 'utf8').replace(
      /^(PBX_[A-Z_]+)=$/gm,
      (_, k: string) =>
        k === 'PBX_EXTERNAL_IP' ? `${k}=127.0.0.1` : `${k}=value-${k.toLowerCase()}`,
    );
    writeFileSync(envFile, filled);
    const r = run(envFile);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
