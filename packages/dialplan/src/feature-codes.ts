/**
 * The OfficeServ feature codes, defined once. Everything that prints, validates or classifies a
 * code reads this table: the CLI (`pbx numplan list`), the README table and `classify()`.
 */

/** Every feature reachable by dialling a code, in the order `pbx numplan list` prints them. */
export const FEATURE_IDS = [
  'forward.clear',
  'forward.all',
  'forward.busy',
  'forward.noAnswer',
  'forward.busyNoAnswer',
  'dnd',
  'conference',
  'conference.room',
  'park',
  'parkRetrieve',
  'pickup.directed',
  'pickup.group',
  'pickup.myGroup',
  'voicemail',
] as const;

/** A feature's identifier, in OfficeServ/SIP vocabulary. */
export type FeatureId = (typeof FEATURE_IDS)[number];

/**
 * What must follow a code in the dialled digits.
 * - `none`: the code alone (`600`, `46`).
 * - `station`: a station number (`11` + `205`).
 * - `forward`: a station number (`601` + `205`), the trunk access code and an outside number
 *   (`601` + `9` + `0398722900`), or the voice-mail access code (`601` + `88`: the dialling
 *   station's own mailbox).
 * - `onOff`: exactly one digit, `1` for on and `0` for off (`40` + `1`).
 * - `pickupGroup`: a pickup group number of one to three digits (`14` + `2`).
 * - `room`: exactly one digit, a conference room of the code's ten (`80` + `3` is room 803).
 */
export type ArgumentKind = 'none' | 'station' | 'forward' | 'onOff' | 'pickupGroup' | 'room';

/** One row of the code table. */
export interface FeatureCodeDefinition {
  readonly feature: FeatureId;
  /** The code a fresh system uses; `null` means unassigned until an administrator sets one. */
  readonly defaultCode: string | null;
  readonly description: string;
  readonly argument: ArgumentKind;
  /** The feature's name in the OfficeServ number plan, where the manual gives one. */
  readonly officeServName?: string;
}

/**
 * The code table. Defaults for forward, DND, conference and park are the manual's. The manual
 * leaves the pickup codes to the installer (MYGPICK has no default); we use 13 and 14 next to
 * HOLD 11 and HOLDPK 12 so that the whole 1x block is feature codes and station numbers 2xx-5xx
 * stay free (README explains the choice).
 */
export const FEATURE_CODES: Readonly<Record<FeatureId, FeatureCodeDefinition>> = {
  'forward.clear': {
    feature: 'forward.clear',
    defaultCode: '600',
    description: 'Call forward clear: cancel the forward set with 601-604',
    argument: 'none',
  },
  'forward.all': {
    feature: 'forward.all',
    defaultCode: '601',
    description: 'Call forward all: every call goes to the destination',
    argument: 'forward',
  },
  'forward.busy': {
    feature: 'forward.busy',
    defaultCode: '602',
    description: 'Call forward busy: calls go to the destination while the station is busy',
    argument: 'forward',
  },
  'forward.noAnswer': {
    feature: 'forward.noAnswer',
    defaultCode: '603',
    description: 'Call forward no answer: calls go to the destination after the no-answer time',
    argument: 'forward',
  },
  'forward.busyNoAnswer': {
    feature: 'forward.busyNoAnswer',
    defaultCode: '604',
    description: 'Call forward busy/no answer: busy or unanswered calls go to the destination',
    argument: 'forward',
  },
  dnd: {
    feature: 'dnd',
    defaultCode: '40',
    description: 'Do not disturb: 1 on, 0 off; callers get busy',
    argument: 'onOff',
    officeServName: 'DND',
  },
  conference: {
    feature: 'conference',
    defaultCode: '46',
    description: 'Conference: join the held call into the conference; twice to start it',
    argument: 'none',
  },
  'conference.room': {
    feature: 'conference.room',
    defaultCode: '80',
    description: 'Conference room: any station dials the code and a room digit to join that room',
    argument: 'room',
  },
  park: {
    feature: 'park',
    defaultCode: '11',
    description: "Call park (system hold): park the held call at the station's park slot",
    argument: 'station',
    officeServName: 'HOLD',
  },
  parkRetrieve: {
    feature: 'parkRetrieve',
    defaultCode: '12',
    description: "Park retrieve: take the call parked at the station's park slot",
    argument: 'station',
    officeServName: 'HOLDPK',
  },
  'pickup.directed': {
    feature: 'pickup.directed',
    defaultCode: '13',
    description: 'Directed pickup: answer the call ringing at the station',
    argument: 'station',
  },
  'pickup.group': {
    feature: 'pickup.group',
    defaultCode: '14',
    description: 'Group pickup: answer a call ringing in the pickup group',
    argument: 'pickupGroup',
  },
  'pickup.myGroup': {
    feature: 'pickup.myGroup',
    defaultCode: null,
    description: "My-group pickup: answer a call ringing in the caller's own pickup group",
    argument: 'none',
    officeServName: 'MYGPICK',
  },
  voicemail: {
    feature: 'voicemail',
    defaultCode: '88',
    description: "Voice mail: the station's own mailbox (PIN, then messages and greeting)",
    argument: 'none',
  },
};

/** Codes per feature; `null` means unassigned. */
export type FeatureCodes = Record<FeatureId, string | null>;

/** The stored part of the number plan: what `pbx numplan set|clear` changes. */
export interface NumberPlan {
  readonly codes: Readonly<FeatureCodes>;
  /** Digits that start an outside (trunk) call, for example `9`. Absent: no trunk access. */
  readonly trunkPrefix?: string;
  /** The auth feature code (auth code dialling). Absent: unassigned. */
  readonly authCode?: string;
}

/** The codes a fresh system starts with. Returns a new object each call. */
export function defaultCodes(): FeatureCodes {
  const codes = {} as FeatureCodes;
  for (const id of FEATURE_IDS) codes[id] = FEATURE_CODES[id].defaultCode;
  return codes;
}

/** The number plan a fresh system starts with. */
export function defaultNumberPlan(trunkPrefix?: string): NumberPlan {
  return trunkPrefix === undefined
    ? { codes: defaultCodes() }
    : { codes: defaultCodes(), trunkPrefix };
}

/** Narrows an arbitrary string (CLI argument, database column) to a feature id. */
export function isFeatureId(value: string): value is FeatureId {
  return (FEATURE_IDS as readonly string[]).includes(value);
}

/** Characters a code may hold: digits plus `*` and `#`, which phones can dial. */
const CODE_SYNTAX = /^[0-9*#]{1,8}$/;

/** True when `code` is one to eight of `0-9 * #`. */
export function isValidCodeSyntax(code: string): boolean {
  return CODE_SYNTAX.test(code);
}
