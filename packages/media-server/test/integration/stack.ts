/**
 * The test stack: embedded sip-server (drachtio) + embedded media server on loopback, and an app
 * using the real, unmodified drachtio-srf and drachtio-fsmrf from node_modules.
 */
import { startSipServer } from '@pbx/sip-server';
import type { SipServer } from '@pbx/sip-server';
import { startMediaServer } from '../../src';
import type { MediaServerHandle } from '../../src';

/* eslint-disable @typescript-eslint/no-require-imports */
// The clients are plain JavaScript without types; the tests use them as fsmrf apps do.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Any = any;
const Srf = require('drachtio-srf') as Any;
const Mrf = require('drachtio-fsmrf') as Any;

export interface Stack {
  sip: SipServer;
  media: MediaServerHandle;
  srf: Any;
  ms: Any;
  stop(): Promise<void>;
}

let portBase = 32000 + (process.pid % 50) * 200;

export async function startStack(opts: { soundsDir?: string } = {}): Promise<Stack> {
  const sip = await startSipServer({
    sip: { host: '127.0.0.1', port: 0, protocols: ['udp', 'tcp'] },
    control: { host: '127.0.0.1', port: 0, secret: 'cymru' },
  });
  const rtpMin = portBase;
  portBase += 100;
  const media = await startMediaServer({
    sip: { host: '127.0.0.1', port: 0 },
    esl: { host: '127.0.0.1', port: 0 },
    rtp: { portMin: rtpMin, portMax: rtpMin + 99 },
    soundsDir: opts.soundsDir,
  });
  const srf = new Srf();
  await new Promise<void>((resolve, reject) => {
    srf.once('connect', (err: Error | undefined) => (err ? reject(err) : resolve()));
    srf.on('error', () => undefined);
    srf.connect({ host: '127.0.0.1', port: sip.control.port, secret: 'cymru' });
  });
  const mrf = new Mrf(srf);
  const ms = await mrf.connect({
    address: '127.0.0.1',
    port: media.esl.port,
    secret: 'ClueCon',
    listenAddress: '127.0.0.1',
  });
  return {
    sip,
    media,
    srf,
    ms,
    stop: async () => {
      ms.disconnect();
      srf.disconnect();
      await media.close();
      await sip.stop();
    },
  };
}

/** Two endpoints wired to each other through 3PCC (what fsmrf's own call generator does). */
export async function endpointPair(ms: Any): Promise<[Any, Any]> {
  const a = await ms.createEndpoint();
  const b = await ms.createEndpoint({ remoteSdp: a.local.sdp });
  await a.modify(b.local.sdp);
  return [a, b];
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
