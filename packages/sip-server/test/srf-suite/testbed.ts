/**
 * drachtio-srf's docker testbed (its test/docker-compose-testbed.yaml, read for facts) mapped to
 * loopback: every container becomes `127.0.0.1:<free port>` for one suite run.
 */

/** A sipp container of the testbed. */
export interface TestbedSipp {
  /** Container (and DNS) name used by the test files, e.g. `sip:sipp-uas-prack`. */
  name: string;
  /** Its fixed address on the docker network, used by some test files instead of the name. */
  dockerIp?: string;
  /**
   * The UAS scenario the container runs for the whole suite (docker-compose `command`); absent for
   * peers a test starts itself with `sippUas(file, name)`.
   */
  scenario?: string;
}

/** A drachtio server of the testbed, replaced by an embedded server instance. */
export interface TestbedServer {
  /** Key in the suite's `config` file (`config.get('drachtio-sut')`). */
  configKey: 'drachtio-sut' | 'drachtio-uas' | 'drachtio-uac';
  /** Its SIP address on the docker network, when a test file names it. */
  dockerIp?: string;
}

export const TESTBED_SIPP: readonly TestbedSipp[] = [
  { name: 'sipp-uas-cancel', dockerIp: '172.29.0.12', scenario: 'uas-cancel.xml' },
  { name: 'sipp-uas', dockerIp: '172.29.0.13', scenario: 'uas.xml' },
  { name: 'sipp-uas-404', dockerIp: '172.29.0.14', scenario: 'uas-404.xml' },
  { name: 'sipp-uas-auth', dockerIp: '172.29.0.15', scenario: 'uas-auth.xml' },
  { name: 'sipp-uas-auth-register', dockerIp: '172.29.0.16', scenario: 'uas-auth-register.xml' },
  {
    name: 'sipp-uas-auth-register-no-realm',
    dockerIp: '172.29.0.17',
    scenario: 'uas-auth-register-no-realm.xml',
  },
  { name: 'sipp-uas-refer', dockerIp: '172.29.0.18', scenario: 'uas-refer.xml' },
  { name: 'sipp-uas-fast-reinvite', dockerIp: '172.29.0.20', scenario: 'uas-reinvite.xml' },
  {
    name: 'sipp-uas-reinvite-overlap',
    dockerIp: '172.29.0.21',
    scenario: 'uas-reinvite-overlap.xml',
  },
  { name: 'sipp-uas-302', dockerIp: '172.29.0.22', scenario: 'uas-302.xml' },
  { name: 'sipp-uas-prack', dockerIp: '172.29.0.23', scenario: 'uas-prack.xml' },
  { name: 'sipp-uas-bye-with-auth', dockerIp: '172.29.0.24', scenario: 'uas-bye-with-auth.xml' },
  {
    name: 'sipp-uas-reinvite-with-auth',
    dockerIp: '172.29.0.25',
    scenario: 'uas-reinvite-with-auth.xml',
  },
  { name: 'sipp-uas-options', dockerIp: '172.29.0.26', scenario: 'uas-options-expect-200.xml' },
  {
    name: 'sipp-uas-407-no-auth-header',
    dockerIp: '172.29.0.27',
    scenario: 'uas-407-no-auth-header.xml',
  },
  {
    name: 'sipp-uas-200-ok-no-contact-cancel',
    dockerIp: '172.29.0.28',
    scenario: 'uas-200-ok-no-contact-cancel.xml',
  },
  { name: 'sipp-uas-fast-update', dockerIp: '172.29.0.29', scenario: 'uas-update-with-sdp.xml' },
  // b2b.js starts this one itself: sippUas('uas.xml', 'sipp-uas-b-teardown').
  { name: 'sipp-uas-b-teardown' },
];

export const TESTBED_SERVERS: readonly TestbedServer[] = [
  { configKey: 'drachtio-sut', dockerIp: '172.29.0.10' },
  { configKey: 'drachtio-uas', dockerIp: '172.29.0.19' },
  { configKey: 'drachtio-uac' },
];

/** What the runner tells the sipp shim (JSON in the SRF_SUITE_PEERS environment variable). */
export interface ShimPeers {
  /** `host:port` of the server under test's UDP SIP transport (the docker `drachtio-sut`). */
  sut: string;
  /** Folder holding the (copied) scenario files. */
  scenarioDir: string;
  /** Container name → `host:port`, for `sippUas(file, containerName)`. */
  named: Record<string, string>;
  /** Time limit for each sipp run. */
  timeoutMs: number;
  /** Where to ask whether an application routes a verb yet (see run-srf-suite.ts). */
  routedUrl?: string;
}

/** Replaces container names and docker addresses in `text` with local `host:port` values. */
export function localiseAddresses(
  text: string,
  names: ReadonlyMap<string, string>,
  addresses: ReadonlyMap<string, string>,
): string {
  let out = text;
  // Longest names first, so `sipp-uas` never eats the start of `sipp-uas-prack`.
  const byLength = [...names.keys()].sort((a, b) => b.length - a.length);
  for (const name of byLength) {
    const pattern = new RegExp(`(?<![A-Za-z0-9_.-])${escapeRegExp(name)}(?![A-Za-z0-9_-])`, 'g');
    out = out.replace(pattern, names.get(name) as string);
  }
  for (const [ip, local] of addresses) {
    out = out.replace(new RegExp(`(?<![0-9.])${escapeRegExp(ip)}(?![0-9])`, 'g'), local);
  }
  return out;
}

/** Testbed names and docker addresses that appear in `text` but are not in the table. */
export function unknownTestbedReferences(
  text: string,
  names: ReadonlyMap<string, string>,
  addresses: ReadonlyMap<string, string>,
): string[] {
  const unknown = new Set<string>();
  for (const match of text.matchAll(/(?<![A-Za-z0-9_.-])sipp-uas[A-Za-z0-9-]*/g)) {
    if (!names.has(match[0])) unknown.add(match[0]);
  }
  for (const match of text.matchAll(/(?<![0-9.])172\.29\.\d+\.\d+/g)) {
    if (!addresses.has(match[0])) unknown.add(match[0]);
  }
  return [...unknown];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Escapes `<` and `>` inside attribute values outside CDATA sections. A few drachtio-srf
 * scenarios write `regexp="<sip:(.*)>"`, which the sipp in the drachtio/sipp image accepts but
 * Debian's sipp 3.6.1 rejects as invalid XML; the escaped form means the same to any XML parser.
 */
export function escapeAttributeBrackets(xml: string): string {
  return xml
    .split(/(<!\[CDATA\[[\s\S]*?\]\]>)/)
    .map((part) =>
      part.startsWith('<![CDATA[')
        ? part
        : part.replace(
            /(\s[A-Za-z_:][\w:.-]*=")([^"]*)"/g,
            (_all, head: string, value: string) =>
              `${head}${value.replace(/</g, '&lt;').replace(/>/g, '&gt;')}"`,
          ),
    )
    .join('');
}
