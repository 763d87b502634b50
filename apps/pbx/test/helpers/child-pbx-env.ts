/**
 * The environment of a PBX started as its own process (`dist/main.js`, `npm start`) in tests: the
 * database at `db`, everything on 127.0.0.1, free ports for SIP and the drachtio control link,
 * the HTTP API on a free port of its own choosing, info logs (the tests read them).
 */
import { freePort } from './sipp';

export interface ChildPbxEnv {
  env: NodeJS.ProcessEnv;
  /** The SIP port (UDP and TCP). */
  sipPort: number;
}

/**
 * `fixedMediaPorts`: the embedded media server's SIP and Event Socket ports chosen here too (a
 * restart on the same environment then proves they are reusable at once); otherwise it picks
 * its own. `extra` is added last.
 */
export async function childPbxEnv(
  db: string,
  opts: { fixedMediaPorts?: boolean; extra?: NodeJS.ProcessEnv } = {},
): Promise<ChildPbxEnv> {
  const sipPort = await freePort('both');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PBX_DB: db,
    PBX_SIP_HOST: '127.0.0.1',
    PBX_SIP_PORT: String(sipPort),
    PBX_CONTROL_PORT: String(await freePort('tcp')),
    PBX_MEDIA_SIP_PORT: opts.fixedMediaPorts ? String(await freePort('both')) : '0',
    PBX_MEDIA_ESL_PORT: opts.fixedMediaPorts ? String(await freePort('tcp')) : '0',
    PBX_HTTP_PORT: '0',
    LOG_LEVEL: 'info',
    ...opts.extra,
  };
  return { env, sipPort };
}
