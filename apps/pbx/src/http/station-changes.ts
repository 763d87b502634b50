/**
 * Adding and changing stations through the API, with the same rules as `pbx ext add|set`
 * (apps/cli/src/commands/ext.ts): the same zod parsers from @pbx/config, the same number-plan
 * clash check from @pbx/dialplan, one call forward at a time, then the same StationRepo writes,
 * which the running PBX applies through its change watcher exactly as for a CLI change.
 */
import { ConfigError, credentialIssues, parseStationCreate, parseStationUpdate } from '@pbx/config';
import { checkNewNumber, describeEntry, planFromStored } from '@pbx/dialplan';
import { NotFoundError, type Station, type StationPatch, type Store } from '@pbx/store';
import type { PbxConfig } from '@pbx/config';
import { HttpError } from './http-errors';

const FORWARDS = ['forwardAll', 'forwardBusy', 'forwardNoAnswer', 'forwardBusyNoAnswer'] as const;

const isSet = (v: unknown): boolean =>
  v !== undefined && v !== null && !(typeof v === 'string' && /^\s*(none|off)?\s*$/i.test(v));

/** The other forward types cleared when one is set (as 601-604 do); 400 for two at once. */
export function forwardFields(raw: Readonly<Record<string, unknown>>): Partial<StationPatch> {
  const given = FORWARDS.filter((f) => isSet(raw[f]));
  if (given.length > 1)
    throw new HttpError(400, 'invalid_input', `${given.join(', ')}: give one forward destination`);
  if (given.length === 0) return {};
  const out: Partial<StationPatch> = {};
  for (const f of FORWARDS) if (f !== given[0]) out[f] = null;
  return out;
}

/**
 * A forward destination of `voicemail` (or the voice-mail access code, as dialled after 601-604)
 * is the station's own mailbox, stored as a forward to its own number (as the CLI does). 409 when
 * the mailbox is off.
 */
async function voicemailForwards(
  store: Store,
  tel: string,
  raw: Record<string, unknown>,
): Promise<void> {
  const code = planFromStored(await store.numberPlan.overrides()).codes.voicemail;
  const named = FORWARDS.filter((f) => {
    const v = raw[f];
    if (typeof v !== 'string') return false;
    const text = v.trim().toLowerCase();
    return text === 'voicemail' || text === tel || (code !== null && text === code);
  });
  if (named.length === 0) return;
  if (!(await store.voicemail.box(tel)).enabled)
    throw new HttpError(
      409,
      'conflict',
      `station ${tel} has its mailbox off: cannot forward to voice mail`,
    );
  for (const f of named) raw[f] = tel;
}

/** Refuses a station number that clashes with a feature code, a ring or chat group (409). */
async function assertNumberFree(store: Store, tel: string): Promise<void> {
  const problems = checkNewNumber(
    planFromStored(await store.numberPlan.overrides()),
    tel,
    'station',
  );
  const syntax = problems.find((p) => p.kind === 'syntax');
  if (syntax) throw new HttpError(400, 'invalid_input', syntax.message);
  const messages = problems.map((p) => p.message);
  if (await store.ringGroups.exists(tel))
    messages.push(
      `${describeEntry({ number: tel, owner: { kind: 'station' } })} is the same number as ${describeEntry({ number: tel, owner: { kind: 'group' } })}`,
    );
  if (await store.chatGroups.byNumber(tel))
    messages.push(`station ${tel} is the same number as chat group ${tel}`);
  if (messages.length > 0) throw new HttpError(409, 'conflict', messages.join('; '));
}

/** `pbx ext add` through the API. */
export async function createStation(
  store: Store,
  config: PbxConfig,
  raw: Record<string, unknown>,
): Promise<Station> {
  const forwards = forwardFields(raw);
  const input = parseStationCreate(raw);
  await assertNumberFree(store, input.tel);
  const station = await store.stations.create(input, {
    realm: config.sip.domain,
    maxStations: config.license.maxStations,
  });
  if (Object.keys(forwards).length === 0) return station;
  return store.stations.update(station.tel, forwards, { realm: config.sip.domain });
}

/** `pbx ext set` through the API. */
export async function updateStation(
  store: Store,
  config: PbxConfig,
  tel: string,
  raw: Record<string, unknown>,
): Promise<Station> {
  if (Object.keys(raw).length === 0)
    throw new HttpError(400, 'invalid_input', 'nothing to change: give at least one setting');
  const current = await store.stations.get(tel);
  if (!current) throw new NotFoundError('station', tel);
  await voicemailForwards(store, tel, raw);
  const patch: StationPatch = {
    ...parseStationUpdate(tel, current.userId, raw),
    ...forwardFields(raw),
  };
  return store.stations.update(tel, patch, {
    realm: config.sip.domain,
    validate: (cred) => {
      const issues =
        patch.password === undefined
          ? cred.userId.toLowerCase() === cred.password.toLowerCase()
            ? [{ key: 'userId', message: 'must differ from the password' }]
            : []
          : credentialIssues(cred.tel, cred.userId, cred.password);
      if (issues.length) throw new ConfigError(issues);
    },
  });
}
