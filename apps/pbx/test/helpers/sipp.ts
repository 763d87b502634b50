/**
 * sipp for the PBX's integration tests: the SIP server package's helper (runSipp, startSippUas,
 * freePort, ...), re-exported, plus the path of this app's scenarios.
 */
import path from 'node:path';

export * from '../../../../packages/sip-server/test/helpers/sipp';

/** Absolute path of a scenario in apps/pbx/test/sipp/. */
export function scenario(name: string): string {
  return path.join(__dirname, '..', 'sipp', name);
}
