import { addVoicemailFlags, applyVoicemailPatch, voicemailPatch } from './vm';
import { ConfigError, credentialIssues, parseStationCreate, parseStationUpdate } from '@pbx/config';
import { NotFoundError, type Station, type Store, type VoicemailBox } from '@pbx/store';
import type { Command } from 'commander';
import type { CliContext } from '../context';
import { CommandFailedError, UsageError } from '../errors';
import { isoTime, printJson, printPairs, printTable, say } from '../format';
import { forwardPatch, forwardText, voicemailForwards } from '../forward-flags';
import { assertNumberFree, loadNumberPlan } from '../number-plan';
import { flagTable, type SettingFlag } from '../flag-table';
import { readPassword, type PasswordOptions } from '../password';

/** The per-station flags of `ext add` and `ext set`, one per "SIP Phone Information" setting. */
const STATION_FLAGS: SettingFlag[] = [
  {
    field: 'userId',
    attr: 'user',
    flag: '--user <id>',
    help: 'authentication user ID (default: the tel number)',
  },
  {
    field: 'password',
    attr: 'password',
    flag: '--password [pw]',
    help: '6+ letters, digits or !@#$%^&*; differs from the user ID; without a value, asked for on the terminal',
  },
  { field: 'name', attr: 'name', flag: '--name <display>', help: 'display name' },
  {
    field: 'toneSource',
    attr: 'toneSource',
    flag: '--tone-source <system|phone>',
    help: 'hold tone source (default system)',
  },
  {
    field: 'callWaiting',
    attr: 'callWaiting',
    flag: '--call-waiting <on|off>',
    help: 'stored but inactive, as on OfficeServ (default off)',
  },
  {
    field: 'forwardUnreachable',
    attr: 'forwardUnreachable',
    flag: '--forward-unreachable <tel|none>',
    help: 'station for calls while not registered',
  },
  {
    field: 'dtmfType',
    attr: 'dtmfType',
    flag: '--dtmf-type <rfc2833|info>',
    help: 'DTMF sent to the phone (default rfc2833)',
  },
  {
    field: 'insertTrunkPort',
    attr: 'insertTrunkPort',
    flag: '--insert-trunk-port <digits|none>',
    help: 'LCR code, trunk or trunk group',
  },
  {
    field: 'insertTrunkType',
    attr: 'insertTrunkType',
    flag: '--insert-trunk-type <incoming|outgoing|none>',
    help: 'use of the insert trunk port (default none)',
  },
  {
    field: 'natCheck',
    attr: 'natCheck',
    flag: '--nat-check <ip|ip-port>',
    help: 'NAT check (default ip)',
  },
  {
    field: 'useWhitelist',
    attr: 'useWhitelist',
    flag: '--use-whitelist <on|off>',
    help: 'require the IP white list (default on)',
  },
  {
    field: 'pickupGroup',
    attr: 'pickupGroup',
    flag: '--pickup-group <n>',
    help: 'pickup group 1-99, 0 for none (default 1)',
  },
  {
    field: 'forwardAll',
    attr: 'forwardAll',
    flag: '--forward-all <digits|voicemail|none>',
    help: 'call forward all (voicemail, or the voice-mail code: the own mailbox)',
  },
  {
    field: 'forwardBusy',
    attr: 'forwardBusy',
    flag: '--forward-busy <digits|voicemail|none>',
    help: 'call forward busy',
  },
  {
    field: 'forwardNoAnswer',
    attr: 'forwardNoAnswer',
    flag: '--forward-no-answer <digits|voicemail|none>',
    help: 'call forward no answer',
  },
  {
    field: 'forwardBusyNoAnswer',
    attr: 'forwardBusyNoAnswer',
    flag: '--forward-busy-no-answer <digits|voicemail|none>',
    help: 'call forward busy/no answer',
  },
  {
    field: 'forwardNoAnswerTimer',
    attr: 'forwardNoAnswerTimer',
    flag: '--forward-no-answer-timer <seconds|default>',
    help: 'ringing time before a no-answer forward',
  },
  { field: 'dnd', attr: 'dnd', flag: '--dnd <on|off>', help: 'do not disturb' },
  {
    field: 'challengeInvites',
    attr: 'challengeInvites',
    flag: '--challenge-invites <on|off>',
    help: "challenge the station's INVITEs with 407 digest authentication (default off)",
  },
  {
    field: 'srtp',
    attr: 'srtp',
    flag: '--srtp <policy|required>',
    help: 'required: plain-RTP calls from or to the station are refused with 488 whatever its transport (default policy: security.srtp decides)',
  },
  {
    field: 'statusText',
    attr: 'status',
    flag: '--status <text>',
    help: 'status text presence watchers see, up to 100 characters ("" to clear); a text the phone publishes itself wins while it lasts',
  },
];

const { collect, withFlags } = flagTable(STATION_FLAGS);

const FORWARD_FIELDS = ['forwardAll', 'forwardBusy', 'forwardNoAnswer', 'forwardBusyNoAnswer'];

/**
 * `--forward-* voicemail` (or the voice-mail code): the station's own mailbox, stored as a forward
 * to its own number. Refused (exit 1) when the mailbox is off, or would be after `mailboxOn`.
 */
async function voicemailForward(
  openStore: () => Promise<Store>,
  tel: string,
  raw: Record<string, unknown>,
  mailboxOn: () => Promise<boolean>,
): Promise<void> {
  // Without a forward destination the database is not touched (bad input must not create it).
  if (!FORWARD_FIELDS.some((f) => typeof raw[f] === 'string')) return;
  const plan = await loadNumberPlan(await openStore());
  const flags = voicemailForwards(raw, tel, plan.codes.voicemail);
  if (flags.length > 0 && !(await mailboxOn()))
    throw new CommandFailedError(
      `${flags.join(', ')}: station ${tel} has its mailbox off (pbx ext set ${tel} --voicemail on first)`,
    );
}

/** Turning a mailbox off leaves a forward to it in place, doing nothing: say so. */
async function warnIdleForward(
  c: CliContext,
  store: Store,
  tel: string,
  enabled: boolean | undefined,
): Promise<void> {
  if (enabled !== false) return;
  const s = await store.stations.get(tel);
  const fwd = s && [s.forwardAll, s.forwardBusy, s.forwardNoAnswer, s.forwardBusyNoAnswer];
  if (fwd?.includes(tel))
    say(
      c.io,
      `note: station ${tel} forwards to voice mail; with the mailbox off those calls get 480/486 (600 or --forward-clear removes the forward)`,
    );
}

/** The voice-mail part of `pbx ext show`: options, PIN set or not (never the PIN), counts. */
async function voicemailPairs(store: Store, tel: string): Promise<[string, string][]> {
  const b: VoicemailBox = await store.voicemail.box(tel);
  const c = await store.voicemail.counts(tel);
  const when = (
    [
      ['no-answer', b.onNoAnswer],
      ['busy', b.onBusy],
      ['dnd', b.onDnd],
      ['unregistered', b.onUnregistered],
    ] as const
  )
    .filter(([, on]) => on)
    .map(([w]) => w);
  return [
    ['Voice Mail', onOff(b.enabled)],
    ['Voice Mail When', when.length ? when.join(', ') : 'none'],
    ['Voice Mail PIN', b.hasPin ? 'set' : 'not set'],
    ['Voice Mail Greeting', b.greeting === '' ? 'default' : 'own'],
    ['Voice Mail Messages', `${c.newMessages} new, ${c.oldMessages} old`],
  ];
}

/** A missing forward-unreachable destination, told in terms of the flag. */
function forwardTargetMissing(err: unknown, target: string | null | undefined): unknown {
  if (err instanceof NotFoundError && target != null && err.key === target) {
    return new CommandFailedError(
      `--forward-unreachable: station ${target} does not exist (the destination must be a station)`,
    );
  }
  return err;
}

const onOff = (b: boolean): string => (b ? 'on' : 'off');
const orNone = (v: string | number | null): string => (v === null || v === '' ? 'none' : String(v));

/** A station as printed by `--json`: times as ISO text and `password: "set"`. */
function stationJson(s: Station): Record<string, unknown> {
  const { createdAt, updatedAt, ...rest } = s;
  return { ...rest, password: 'set', createdAt: isoTime(createdAt), updatedAt: isoTime(updatedAt) };
}

function stationPairs(s: Station, defaultTimer: number | undefined): [string, string | number][] {
  return [
    ['Tel Number', s.tel],
    ['User ID', s.userId],
    ['Password', 'set'],
    ['Name', s.name],
    ['Tone Source', s.toneSource],
    ['Call Waiting', `${onOff(s.callWaiting)} (inactive for SIP stations)`],
    ['Call Forward Unreachable', orNone(s.forwardUnreachable)],
    ['DTMF Type', s.dtmfType],
    ['Insert Trunk Port', orNone(s.insertTrunkPort)],
    ['Insert Trunk Type', s.insertTrunkType],
    ['NAT Check', s.natCheck],
    ['Use IP White List', onOff(s.useWhitelist)],
    ['Challenge INVITEs', onOff(s.challengeInvites)],
    ['SRTP', s.srtp],
    ['Pickup Group', s.pickupGroup === 0 ? 'none' : s.pickupGroup],
    ['Forward All', forwardText(s.tel, s.forwardAll)],
    ['Forward Busy', forwardText(s.tel, s.forwardBusy)],
    ['Forward No Answer', forwardText(s.tel, s.forwardNoAnswer)],
    ['Forward Busy/No Answer', forwardText(s.tel, s.forwardBusyNoAnswer)],
    [
      'No Answer Timer',
      s.forwardNoAnswerTimer === null
        ? `default${defaultTimer === undefined ? '' : ` (${defaultTimer}s)`}`
        : `${s.forwardNoAnswerTimer}s`,
    ],
    ['DND', onOff(s.dnd)],
    ['Status Text', s.statusText === '' ? 'none' : s.statusText],
  ];
}

function addStationFlags(cmd: Command): Command {
  for (const f of STATION_FLAGS) cmd.option(f.flag, f.help);
  return cmd.option('--password-stdin', 'read the password from standard input (one line)');
}

/**
 * Replaces the password options by the password itself (from the command line, standard input or
 * the prompt), so `collect` sees a string or nothing.
 */
async function takePassword(
  c: CliContext,
  tel: string,
  opts: Record<string, unknown> & PasswordOptions,
  required: boolean,
): Promise<void> {
  c.checkDbPath();
  const password = await readPassword(c.io, opts, { required, tel });
  delete opts.passwordStdin;
  if (password === undefined) delete opts.password;
  else opts.password = password;
}

/** `pbx ext add|set|list|show|remove`. */
export function registerExt(program: Command, ctx: () => CliContext): void {
  const ext = program.command('ext').description('SIP stations ("SIP Phone Information")');

  addStationFlags(
    ext.command('add <tel>').description('add a station (tel: 2 to 8 digits)'),
  ).action(async (tel: string, opts: Record<string, unknown>) => {
    const c = ctx();
    await takePassword(c, tel, opts, true);
    const raw = collect(opts);
    forwardPatch(raw, false);
    // Bad input is refused before the database is opened (or created): `voicemail` checked as
    // the number it is stored as.
    const probe = { ...raw };
    voicemailForwards(probe, tel, null);
    try {
      parseStationCreate({ tel, ...probe });
    } catch (err) {
      throw withFlags(err);
    }
    // A new station's mailbox is on.
    await voicemailForward(
      () => c.store(),
      tel,
      raw,
      () => Promise.resolve(true),
    );
    let input;
    try {
      input = parseStationCreate({ tel, ...raw });
    } catch (err) {
      throw withFlags(err);
    }
    const store = await c.store();
    // Station numbers share the dialling space with feature codes and ring groups.
    await assertNumberFree(store, input.tel, 'station');
    const { config } = await c.config();
    const station = await store.stations
      .create(input, { realm: config.sip.domain, maxStations: config.license.maxStations })
      .catch((err: unknown) => {
        throw forwardTargetMissing(err, input.forwardUnreachable);
      });
    say(c.io, `station ${station.tel} added (user ID ${station.userId})`);
  });

  addVoicemailFlags(
    addStationFlags(ext.command('set <tel>').description('change settings of a station')),
  )
    .option(
      '--forward-clear',
      'clear the call forward (all, busy, no answer, busy/no answer), as 600 does',
    )
    .option('--status-clear', 'clear the status text (as --status "")')
    .action(async (tel: string, opts: Record<string, unknown>) => {
      const c = ctx();
      await takePassword(c, tel, opts, false);
      const raw = collect(opts);
      const vmPatch = voicemailPatch(opts);
      if (opts.statusClear === true) {
        if (raw.statusText !== undefined) {
          throw new UsageError('ext set: give either --status or --status-clear, not both');
        }
        raw.statusText = '';
      }
      if (Object.keys(raw).length === 0 && opts.forwardClear === undefined) {
        if (vmPatch) {
          // Only voice-mail options: the station row is left alone.
          const store = await c.store();
          if (!(await store.stations.get(tel))) throw new NotFoundError('station', tel);
          say(c.io, `station ${tel}: ${await applyVoicemailPatch(store, tel, vmPatch)}`);
          await warnIdleForward(c, store, tel, vmPatch.enabled);
          return;
        }
        throw new UsageError(
          'ext set: nothing to change; give at least one option (see pbx ext set --help)',
        );
      }
      // One forward at a time: setting one clears the others.
      const forwards = forwardPatch(raw, opts.forwardClear === true);
      const store = await c.store();
      const current = await store.stations.get(tel);
      if (!current) throw new NotFoundError('station', tel);
      await voicemailForward(
        () => Promise.resolve(store),
        tel,
        raw,
        async () =>
          vmPatch?.enabled !== undefined
            ? vmPatch.enabled
            : (await store.voicemail.box(tel)).enabled,
      );
      let patch;
      try {
        patch = { ...parseStationUpdate(tel, current.userId, raw), ...forwards };
      } catch (err) {
        throw withFlags(err);
      }
      const { config } = await c.config();
      await store.stations
        .update(tel, patch, {
          realm: config.sip.domain,
          // A new user ID alone is checked against the stored password here, where it is known.
          validate: (cred) => {
            const issues =
              patch.password === undefined
                ? cred.userId.toLowerCase() === cred.password.toLowerCase()
                  ? [{ key: '--user', message: 'must differ from the password' }]
                  : []
                : credentialIssues(cred.tel, cred.userId, cred.password);
            if (issues.length) throw withFlags(new ConfigError(issues));
          },
        })
        .catch((err: unknown) => {
          throw forwardTargetMissing(err, patch.forwardUnreachable);
        });
      say(c.io, `station ${tel} updated`);
      if (vmPatch) {
        say(c.io, `station ${tel}: ${await applyVoicemailPatch(store, tel, vmPatch)}`);
        await warnIdleForward(c, store, tel, vmPatch.enabled);
      }
    });

  ext
    .command('list')
    .description('list stations')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const c = ctx();
      const stations = await (await c.store()).stations.list();
      if (opts.json) return printJson(c.io, stations.map(stationJson));
      if (stations.length === 0) return say(c.io, 'no stations');
      printTable(
        c.io,
        [
          'Tel',
          'User ID',
          'Name',
          'Tone',
          'DTMF',
          'NAT',
          'White list',
          'Pickup',
          'Fwd unreachable',
          'DND',
        ],
        stations.map((s) => [
          s.tel,
          s.userId,
          s.name,
          s.toneSource,
          s.dtmfType,
          s.natCheck,
          onOff(s.useWhitelist),
          s.pickupGroup === 0 ? 'none' : s.pickupGroup,
          orNone(s.forwardUnreachable),
          onOff(s.dnd),
        ]),
      );
    });

  ext
    .command('show <tel>')
    .description('show every setting of a station (never the password)')
    .option('--json', 'print JSON')
    .action(async (tel: string, opts: { json?: boolean }) => {
      const c = ctx();
      const store = await c.store();
      const station = await store.stations.get(tel);
      if (!station) throw new NotFoundError('station', tel);
      if (opts.json)
        return printJson(c.io, {
          ...stationJson(station),
          voicemail: await store.voicemail.summary(tel),
        });
      let timer: number | undefined;
      try {
        timer = (await c.config()).config.features.forwardNoAnswerTimer;
      } catch {
        timer = undefined;
      }
      printPairs(c.io, [...stationPairs(station, timer), ...(await voicemailPairs(store, tel))]);
    });

  ext
    .command('remove <tel>')
    .description('remove a station and its registrations')
    .action(async (tel: string) => {
      const c = ctx();
      const store = await c.store();
      const groups = await store.ringGroups.groupsOf(tel);
      const { clearedForwardFrom } = await store.stations.remove(tel);
      say(c.io, `station ${tel} removed`);
      if (clearedForwardFrom.length > 0) {
        say(c.io, `cleared call forward unreachable of ${clearedForwardFrom.join(', ')}`);
      }
      if (groups.length > 0) say(c.io, `removed from ring groups ${groups.join(', ')}`);
    });
}
