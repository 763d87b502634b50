import { parseDid, routeEntry, routePrefix, trunkName } from '@pbx/admin';
import { parseTrunkCreate, parseTrunkUpdate } from '@pbx/config';
import { NotFoundError, type Trunk, type TrunkStatus } from '@pbx/store';
import type { Command } from 'commander';
import type { CliContext } from '../context';
import { UsageError } from '../errors';
import { isoTime, printJson, printPairs, printTable, remaining, say } from '../format';
import { flagTable, type SettingFlag } from '../flag-table';
import { readPassword, type PasswordOptions } from '../password';

/** The per-trunk flags of `trunk add` and `trunk set`. */
const TRUNK_FLAGS: SettingFlag[] = [
  { field: 'host', attr: 'host', flag: '--host <host>', help: "provider's SIP host (IP or name)" },
  { field: 'port', attr: 'port', flag: '--port <n>', help: 'SIP port (default 5060)' },
  {
    field: 'transport',
    attr: 'transport',
    flag: '--transport <udp|tcp|tls>',
    help: 'transport to the provider (default udp; tcp preferred by most ITSPs)',
  },
  {
    field: 'outboundProxy',
    attr: 'outboundProxy',
    flag: '--outbound-proxy <host[:port]|none>',
    help: 'send every request through this proxy first',
  },
  {
    field: 'enabled',
    attr: 'enabled',
    flag: '--enabled <on|off>',
    help: 'off: keep the trunk but unregister it and carry no calls on it (default on)',
  },
  {
    field: 'register',
    attr: 'register',
    flag: '--register <on|off>',
    help: 'register with digest (default on); off = IP-authenticated trunk',
  },
  {
    field: 'username',
    attr: 'username',
    flag: '--username <account>',
    help: 'account at the provider (From/To/Contact user)',
  },
  {
    field: 'authUser',
    attr: 'authUser',
    flag: '--auth-user <name>',
    help: 'digest user name (default: the username)',
  },
  {
    field: 'password',
    attr: 'password',
    flag: '--password [pw]',
    help: 'digest password (stored encrypted); without a value, asked for on the terminal',
  },
  {
    field: 'realm',
    attr: 'realm',
    flag: '--realm <realm>',
    help: "the provider's digest realm (default: accept the challenge's)",
  },
  {
    field: 'domain',
    attr: 'domain',
    flag: '--domain <domain|none>',
    help: 'domain of From/To (default: the host)',
  },
  {
    field: 'expires',
    attr: 'expires',
    flag: '--expires <s>',
    help: 'registration time asked for, 60-86400 (default 3600)',
  },
  {
    field: 'callerId',
    attr: 'callerId',
    flag: '--caller-id <number|none>',
    help: 'number presented (default: the username)',
  },
  {
    field: 'anonymous',
    attr: 'anonymous',
    flag: '--anonymous <on|off>',
    help: 'hide the caller (anonymous From, Privacy: id)',
  },
  {
    field: 'maxChannels',
    attr: 'maxChannels',
    flag: '--max-channels <n>',
    help: 'simultaneous calls, 0 = unlimited (default 0)',
  },
  {
    field: 'codecs',
    attr: 'codecs',
    flag: '--codecs <list>',
    help: 'codecs offered, in order (default PCMU,PCMA)',
  },
  {
    field: 'inboundAddresses',
    attr: 'inbound',
    flag: '--inbound <ips|none>',
    help: 'further IPs/CIDRs the provider calls from (besides host and proxy)',
  },
];

const { collect, withFlags } = flagTable(TRUNK_FLAGS);

async function takePassword(
  c: CliContext,
  name: string,
  opts: Record<string, unknown> & PasswordOptions,
): Promise<void> {
  c.checkDbPath();
  const password = await readPassword(c.io, opts, {
    required: false,
    tel: name,
    label: `trunk ${name}`,
  });
  delete opts.passwordStdin;
  if (password === undefined) delete opts.password;
  else opts.password = password;
}

const onOff = (b: boolean): string => (b ? 'on' : 'off');
const orNone = (v: string): string => (v === '' ? 'none' : v);

function stateText(s: TrunkStatus | undefined, t: Trunk, now: number): string {
  if (!t.enabled) return 'disabled';
  if (!t.register) return 'ip (no registration)';
  if (!s) return 'not started';
  switch (s.state) {
    case 'registered':
      return s.untilAt === null ? 'registered' : `registered (${remaining(s.untilAt, now)} left)`;
    case 'failed':
      return s.untilAt === null ? 'failed' : `failed (retry in ${remaining(s.untilAt, now)})`;
    case 'registering':
    case 'unregistered':
    case 'ip':
      return s.state;
  }
}

function trunkJson(t: Trunk, s: TrunkStatus | undefined): Record<string, unknown> {
  const { createdAt, updatedAt, hasPassword, ...rest } = t;
  return {
    ...rest,
    password: hasPassword ? 'set' : 'none',
    status: s ? { state: s.state, lastError: s.lastError, untilAt: s.untilAt } : null,
    createdAt: isoTime(createdAt),
    updatedAt: isoTime(updatedAt),
  };
}

function addTrunkFlags(cmd: Command): Command {
  for (const f of TRUNK_FLAGS) cmd.option(f.flag, f.help);
  return cmd
    .option('--password-stdin', 'read the password from standard input (one line)')
    .option(
      '--did <did[=target]>',
      'a DID of this trunk and the station or ring group it rings (repeatable; no target = operator)',
      (v: string, all: string[] = []) => [...all, v],
    );
}

/** `pbx trunk add|set|list|show|remove`, `pbx trunk did …`, `pbx trunk route …`. */
export function registerTrunk(program: Command, ctx: () => CliContext): void {
  const trunk = program
    .command('trunk')
    .description('trunks to telephone providers (ITSPs): registration, DIDs, LCR routes');

  addTrunkFlags(
    trunk.command('add <name>').description('add a trunk (name: a-z, 0-9, _ or -)'),
  ).action(async (name: string, opts: Record<string, unknown>) => {
    const c = ctx();
    await takePassword(c, name, opts);
    let input;
    try {
      input = parseTrunkCreate(name, collect(opts));
    } catch (err) {
      throw withFlags(err);
    }
    const store = await c.store();
    const dids = [];
    for (const d of (opts.did as string[] | undefined) ?? []) dids.push(await parseDid(store, d));
    const t = await store.trunks.create({ name, ...input });
    for (const d of dids) await store.trunks.setDid({ ...d, trunk: name });
    say(
      c.io,
      `trunk ${t.name} added (${t.host}:${t.port}/${t.transport}, ${t.register ? `registers as ${t.username}` : 'IP-authenticated'})`,
    );
  });

  addTrunkFlags(trunk.command('set <name>').description('change settings of a trunk')).action(
    async (name: string, opts: Record<string, unknown>) => {
      const c = ctx();
      await takePassword(c, name, opts);
      const raw = collect(opts);
      const didList = (opts.did as string[] | undefined) ?? [];
      if (Object.keys(raw).length === 0 && didList.length === 0)
        throw new UsageError(
          'trunk set: nothing to change; give at least one option (see pbx trunk set --help)',
        );
      let patch;
      try {
        patch = parseTrunkUpdate(raw);
      } catch (err) {
        throw withFlags(err);
      }
      const store = await c.store();
      if (!(await store.trunks.get(name))) throw new NotFoundError('trunk', name);
      const dids = [];
      for (const d of didList) dids.push(await parseDid(store, d));
      await store.trunks.update(name, patch);
      for (const d of dids) await store.trunks.setDid({ ...d, trunk: name });
      say(c.io, `trunk ${name} changed`);
    },
  );

  trunk
    .command('list')
    .description('every trunk with its registration state and last error')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const c = ctx();
      const store = await c.store();
      const [trunks, statuses, dids] = await Promise.all([
        store.trunks.list(),
        store.trunks.statuses(),
        store.trunks.dids(),
      ]);
      const statusOf = new Map(statuses.map((s) => [s.trunk, s]));
      if (opts.json)
        return printJson(
          c.io,
          trunks.map((t) => trunkJson(t, statusOf.get(t.name))),
        );
      if (trunks.length === 0) return say(c.io, 'no trunks (add one with pbx trunk add)');
      const now = c.now();
      printTable(
        c.io,
        ['Name', 'Provider', 'Account', 'State', 'Last error', 'Channels', 'DIDs'],
        trunks.map((t) => {
          const s = statusOf.get(t.name);
          return [
            t.name,
            `${t.host}:${t.port}/${t.transport}`,
            t.register ? t.username : '(IP auth)',
            stateText(s, t, now),
            s?.lastError || '-',
            t.maxChannels === 0 ? 'unlimited' : t.maxChannels,
            dids.filter((d) => d.trunk === t.name).length,
          ];
        }),
      );
    });

  trunk
    .command('show <name>')
    .description("a trunk's settings, DIDs, routes and registration state")
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { json?: boolean }) => {
      const c = ctx();
      const store = await c.store();
      const t = await store.trunks.get(name);
      if (!t) throw new NotFoundError('trunk', name);
      const s = (await store.trunks.statuses()).find((x) => x.trunk === name);
      const dids = await store.trunks.dids(name);
      const routes = (await store.trunks.routes()).filter((r) => r.trunk === name);
      if (opts.json) return printJson(c.io, { ...trunkJson(t, s), dids, routes });
      printPairs(c.io, [
        ['Name', t.name],
        ['Host', t.host],
        ['Port', t.port],
        ['Transport', t.transport],
        ['Outbound Proxy', orNone(t.outboundProxy)],
        ['Enabled', onOff(t.enabled)],
        ['Register', onOff(t.register)],
        ['Username', orNone(t.username)],
        ['Auth User', t.authUser || `(username)`],
        ['Password', t.hasPassword ? 'set' : 'none'],
        ['Realm', t.realm || '(any)'],
        ['Domain', t.domain || '(host)'],
        ['Expires', `${t.expires}s`],
        ['Caller ID', t.callerId || '(username)'],
        ['Anonymous', onOff(t.anonymous)],
        ['Max Channels', t.maxChannels === 0 ? 'unlimited' : t.maxChannels],
        ['Codecs', t.codecs.join(',')],
        ['Inbound Addresses', t.inboundAddresses.join(',') || '(host and proxy)'],
        ['State', stateText(s, t, c.now())],
        ['Last Error', s?.lastError || '-'],
        ['DIDs', dids.map((d) => `${d.did}→${d.target || 'operator'}`).join(', ') || 'none'],
        [
          'Routes',
          routes.map((r) => `${r.prefix || '(any)'} (priority ${r.priority})`).join(', ') || 'none',
        ],
      ]);
    });

  trunk
    .command('remove <name>')
    .description('delete a trunk with its DIDs and routes')
    .action(async (name: string) => {
      const c = ctx();
      await (await c.store()).trunks.remove(trunkName(name));
      say(c.io, `trunk ${name} removed`);
    });

  const did = trunk.command('did').description('DIDs: called numbers of incoming trunk calls');
  did
    .command('add <trunk> <did> [target]')
    .description('route a DID of the trunk to a station or ring group (no target: the operator)')
    .action(async (name: string, number: string, target: string | undefined) => {
      const c = ctx();
      const store = await c.store();
      const d = await parseDid(store, target === undefined ? number : `${number}=${target}`);
      await store.trunks.setDid({ ...d, trunk: trunkName(name) });
      say(c.io, `DID ${d.did} of trunk ${name} → ${d.target || 'operator'}`);
    });
  did
    .command('remove <trunk> <did>')
    .description('remove a DID')
    .action(async (name: string, number: string) => {
      const c = ctx();
      await (await c.store()).trunks.removeDid(trunkName(name), number);
      say(c.io, `DID ${number} of trunk ${name} removed`);
    });
  did
    .command('list')
    .description('every DID and where it rings')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const c = ctx();
      const dids = await (await c.store()).trunks.dids();
      if (opts.json) return printJson(c.io, dids);
      printTable(
        c.io,
        ['DID', 'Trunk', 'Target'],
        dids.map((d) => [d.did, d.trunk, d.target || 'operator']),
      );
    });

  const route = trunk
    .command('route')
    .description(
      'LCR: number prefixes → trunks, tried in priority order (fail-over on 5xx/timeout)',
    );
  route
    .command('add <prefix> <trunk>')
    .description('route numbers starting with prefix ("any" for every number) over the trunk')
    .option('--priority <n>', 'lower is tried first (default 0)', '0')
    .option('--strip <n>', 'digits taken off the front (default 0)', '0')
    .option('--prepend <digits>', 'digits put in front after stripping', '')
    .action(
      async (
        prefix: string,
        name: string,
        opts: { priority: string; strip: string; prepend: string },
      ) => {
        const c = ctx();
        const route = routeEntry({
          prefix,
          trunk: name,
          priority: opts.priority,
          strip: opts.strip,
          prepend: opts.prepend,
        });
        await (await c.store()).trunks.setRoute(route);
        say(c.io, `route ${route.prefix || '(any)'} → ${name} (priority ${route.priority})`);
      },
    );
  route
    .command('remove <prefix> <trunk>')
    .description('remove a route')
    .action(async (prefix: string, name: string) => {
      const c = ctx();
      const p = routePrefix(prefix);
      await (await c.store()).trunks.removeRoute(p, trunkName(name));
      say(c.io, `route ${p || '(any)'} → ${name} removed`);
    });
  route
    .command('list')
    .description('the LCR table')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const c = ctx();
      const routes = await (await c.store()).trunks.routes();
      if (opts.json) return printJson(c.io, routes);
      printTable(
        c.io,
        ['Prefix', 'Trunk', 'Priority', 'Strip', 'Prepend'],
        routes.map((r) => [r.prefix || '(any)', r.trunk, r.priority, r.strip, r.addPrefix]),
      );
    });
}
