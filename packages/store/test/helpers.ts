import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store, type StoreOptions } from '../src';

/** A temporary folder removed by `cleanup()`. */
export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'pbx-store-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A store on a fresh temporary file; close it and remove the folder with `done()`. */
export async function openTempStore(
  options: Partial<StoreOptions> = {},
): Promise<{ store: Store; path: string; dir: string; done: () => Promise<void> }> {
  const { dir, cleanup } = tempDir();
  const path = join(dir, 'pbx.sqlite');
  const store = await Store.open({ path, ...options });
  return {
    store,
    path,
    dir,
    done: async () => {
      await store.close();
      cleanup();
    },
  };
}
