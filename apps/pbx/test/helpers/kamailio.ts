/**
 * Kamailio (Debian package `kamailio`) as a telephone provider's edge for the trunk tests: a
 * registrar with digest authentication (realm `itsp.test`, one account), a record-routing proxy
 * that challenges INVITEs from the PBX with 407 on its main port and relays them to the PSTN
 * gateway (a sipp UAS), an IP-authenticated second port relaying to a second gateway, and the
 * route of calls from the PSTN side (a sipp UAC) to the registered trunk contact, with the DID
 * put back in the Request-URI. Its own config in a temporary folder, on 127.0.0.x loopback,
 * started in the foreground and killed by its PID. Every request it sees is logged
 * (`REQ <method> <ruri> from <ip>:<port>/<proto> au=<user> exp=<Expires>`), readable with `log()`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './sipp';

export interface KamailioOptions {
  /** Address Kamailio listens on, e.g. 127.0.0.10. */
  readonly ip: string;
  /** The PBX's address (calls from it go to the PSTN). */
  readonly pbxIp: string;
  readonly user: string;
  readonly password: string;
  readonly realm?: string;
  /** `sip:ip:port` of the PSTN gateway behind the main (digest) port. */
  readonly gatewayA: string;
  /** `sip:ip:port` of the gateway behind the IP-authenticated port. */
  readonly gatewayB: string;
}

export interface Kamailio extends AsyncDisposable {
  readonly ip: string;
  /** Main port (UDP and TCP): registrar, INVITEs challenged with 407. */
  readonly port: number;
  /** Second port (UDP and TCP): INVITEs from the PBX without authentication. */
  readonly ipAuthPort: number;
  readonly pid: number;
  /** Everything Kamailio printed so far. */
  log(): string;
  /** The `REQ ...` lines so far. */
  requests(): string[];
  stop(): Promise<void>;
}

function config(o: KamailioOptions, port: number, ipAuthPort: number): string {
  const realm = o.realm ?? 'itsp.test';
  const pw = `if ($au == "${o.user}") { $var(pw) = "${o.password}"; } else { $var(pw) = "-no-such-user-"; }`;
  return `#!KAMAILIO
debug=2
log_stderror=yes
memdbg=5
memlog=5
children=1
tcp_children=1
auto_aliases=no
listen=udp:${o.ip}:${port}
listen=tcp:${o.ip}:${port}
listen=udp:${o.ip}:${ipAuthPort}
listen=tcp:${o.ip}:${ipAuthPort}
alias="${realm}"

loadmodule "tm.so"
loadmodule "sl.so"
loadmodule "rr.so"
loadmodule "pv.so"
loadmodule "maxfwd.so"
loadmodule "textops.so"
loadmodule "siputils.so"
loadmodule "xlog.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
loadmodule "auth.so"

modparam("usrloc", "db_mode", 0)
modparam("registrar", "min_expires", 10)
modparam("registrar", "max_expires", 3600)
modparam("tm", "fr_timer", 4000)
modparam("tm", "fr_inv_timer", 20000)

request_route {
  xlog("L_NOTICE", "REQ $rm $ru from $si:$sp/$pr au=$au exp=$hdr(Expires)\\n");
  if (!mf_process_maxfwd_header("10")) { sl_send_reply("483", "Too Many Hops"); exit; }
  if (has_totag()) {
    if (loose_route()) { t_relay(); exit; }
    if (is_method("ACK")) { if (t_check_trans()) { t_relay(); } exit; }
    sl_send_reply("404", "Not here");
    exit;
  }
  if (is_method("CANCEL")) { if (t_check_trans()) { t_relay(); } exit; }
  if (is_method("REGISTER")) {
    ${pw}
    if (!pv_www_authenticate("${realm}", "$var(pw)", "0")) {
      www_challenge("${realm}", "0");
      exit;
    }
    if (!save("location")) { sl_reply_error(); }
    exit;
  }
  if (is_method("INVITE")) {
    record_route();
    if ($si == "${o.pbxIp}") {
      if ($Rp == ${ipAuthPort}) {
        $du = "${o.gatewayB}";
      } else {
        ${pw}
        if (!pv_proxy_authenticate("${realm}", "$var(pw)", "0")) {
          proxy_challenge("${realm}", "0");
          exit;
        }
        consume_credentials();
        $du = "${o.gatewayA}";
      }
      xlog("L_NOTICE", "OUT $rU to $du\\n");
      t_relay();
      exit;
    }
    $var(did) = $rU;
    $ru = "sip:${o.user}@${realm}";
    if (!lookup("location")) { sl_send_reply("480", "Trunk not registered"); exit; }
    $rU = $var(did);
    xlog("L_NOTICE", "IN $ru\\n");
    t_relay();
    exit;
  }
  sl_send_reply("405", "Method Not Allowed");
}
`;
}

function canConnect(ip: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: ip, port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

export async function startKamailio(o: KamailioOptions): Promise<Kamailio> {
  const dir = mkdtempSync(join(tmpdir(), 'pbx-kamailio-'));
  const port = await freePort('both', o.ip);
  let ipAuthPort = await freePort('both', o.ip);
  while (ipAuthPort === port) ipAuthPort = await freePort('both', o.ip);
  const cfg = join(dir, 'kamailio.cfg');
  writeFileSync(cfg, config(o, port, ipAuthPort));
  let output = '';
  const child: ChildProcess = spawn(
    'kamailio',
    ['-f', cfg, '-DD', '-E', '-Y', dir, '-w', dir, '-m', '32', '-M', '8'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const append = (b: Buffer): void => {
    output += b.toString();
    if (output.length > 2_000_000) output = output.slice(-1_000_000);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const stop = async (): Promise<void> => {
    if (!exited && child.pid !== undefined) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exit;
      clearTimeout(t);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  // Ready when both TCP listeners accept (the UDP ones open before them).
  const deadline = Date.now() + 10_000;
  while (!(await canConnect(o.ip, port)) || !(await canConnect(o.ip, ipAuthPort))) {
    if (exited || Date.now() > deadline) {
      await stop();
      throw new Error(`kamailio did not start:\n${output.slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    ip: o.ip,
    port,
    ipAuthPort,
    pid: child.pid ?? -1,
    log: () => output,
    requests: () =>
      output
        .split('\n')
        .filter((l) => l.includes('REQ '))
        .map((l) => l.replace(/^.*REQ /, 'REQ ')),
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
