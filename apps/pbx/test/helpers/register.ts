/** Registering a station with sipp against a test PBX, and reading what the PBX granted. */
import {
  describeSippResult,
  freePort,
  runSipp,
  scenario,
  type SippResult,
  type SippTransport,
} from './sipp';

export interface SippRegisterOptions {
  tel: string;
  /** Digest user name; defaults to the tel number. */
  user?: string;
  password?: string;
  /** Requested expiry (s); default 600. */
  expires?: number;
  /** sipp's own port; default a free one. */
  localPort?: number;
  /** sipp's address (127.0.0.x); default 127.0.0.1. */
  localIp?: string;
  /** Host written in the Contact; default sipp's address. */
  contactHost?: string;
  /** Port written in the Contact; default sipp's port. */
  contactPort?: number;
  ua?: string;
  /** Scenario file in apps/pbx/test/sipp/; default uac-register-auth-expect-200.xml. */
  scenario?: string;
  transport?: SippTransport;
  timeoutMs?: number;
}

export interface SippRegisterResult extends SippResult {
  /** Exit status 0 and not killed. */
  ok: boolean;
  /** Seconds granted in the last 200 (the Contact's expires, else the Expires header). */
  granted?: number;
  /** Every status line sipp received, in order. */
  statuses: number[];
}

/** Runs one registration scenario; never throws for a failed scenario (look at `ok`). */
export async function sippRegister(
  target: string,
  o: SippRegisterOptions,
): Promise<SippRegisterResult> {
  const localIp = o.localIp ?? '127.0.0.1';
  const localPort = o.localPort ?? (await freePort(o.transport === 't1' ? 'tcp' : 'udp', localIp));
  const result = await runSipp({
    scenario: scenario(o.scenario ?? 'uac-register-auth-expect-200.xml'),
    target,
    localPort,
    localIp,
    transport: o.transport,
    timeoutMs: o.timeoutMs ?? 10_000,
    traceMessages: true,
    // The scenarios write a bare [authentication]: sipp takes the credentials from -au/-ap.
    extraArgs: ['-au', o.user ?? o.tel, '-ap', o.password ?? 'secret1'],
    keys: {
      tel: o.tel,
      expires: String(o.expires ?? 600),
      contact_host: o.contactHost ?? localIp,
      contact_port: String(o.contactPort ?? localPort),
      ua: o.ua ?? `sipp-${o.tel}`,
    },
  });
  const messages = result.messages ?? '';
  const statuses = [...messages.matchAll(/^SIP\/2\.0 (\d{3}) /gm)].map((m) => Number(m[1]));
  let granted: number | undefined;
  const oks = messages.split(/^SIP\/2\.0 200 /m);
  if (oks.length > 1) {
    const last = oks[oks.length - 1]!;
    const head = last.split(/\r?\n\r?\n/)[0] ?? '';
    const contact = /^Contact:.*;expires=(\d+)/im.exec(head);
    const expires = /^Expires:\s*(\d+)/im.exec(head);
    granted = contact ? Number(contact[1]) : expires ? Number(expires[1]) : undefined;
  }
  return { ...result, ok: result.code === 0 && !result.killed, granted, statuses };
}

/** Throws with sipp's account unless the run succeeded. */
export function expectOk(r: SippRegisterResult, what: string): void {
  if (!r.ok) throw new Error(`${what} failed\n${describeSippResult(r)}`);
}
