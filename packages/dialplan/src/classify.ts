import { FEATURE_CODES, FEATURE_IDS, type FeatureId } from './feature-codes';
import type { FeatureCodes } from './feature-codes';

/** What `classify()` needs to know about the office, beyond the codes. */
export interface ClassifyPlan {
  readonly codes: Readonly<FeatureCodes>;
  /** True for a configured station (extension) number. */
  isStation(n: string): boolean;
  /** True for a configured ring group number. */
  isGroup(n: string): boolean;
  /** True for a configured pickup group; when absent, any one to three digits is accepted. */
  isPickupGroup?(n: string): boolean;
  /** Digits that start an outside call, for example `9`. */
  readonly trunkPrefix?: string;
  /** The auth feature code: auth code + trunk access code + number follow it. */
  readonly authCode?: string;
  /** True for a configured authorisation code (`pbx authcode add`). */
  isAuthCode?(code: string): boolean;
}

/** Why a feature code could not be used. */
export type FeatureErrorReason =
  | 'missing-argument'
  | 'unexpected-argument'
  | 'bad-argument'
  | 'unknown-station'
  | 'unknown-pickup-group';

/** The meaning of a dialled number. A closed union: a new kind fails to compile until handled. */
export type Classification =
  | { readonly kind: 'station'; readonly number: string }
  | { readonly kind: 'group'; readonly number: string }
  | {
      readonly kind: 'feature';
      readonly feature: FeatureId;
      readonly code: string;
      readonly arg?: string;
    }
  | {
      readonly kind: 'featureError';
      readonly feature: FeatureId;
      readonly code: string;
      readonly reason: FeatureErrorReason;
      /** A sentence for the log, naming the digits at fault. */
      readonly detail: string;
      readonly arg?: string;
    }
  | {
      readonly kind: 'trunk';
      /** The outside number, without the trunk access code. */
      readonly digits: string;
      /** The authorisation code dialled before it (auth code dialling). */
      readonly authCode?: string;
    }
  | {
      readonly kind: 'authError';
      /** A sentence for the log: what in the digits is not an auth code call. */
      readonly detail: string;
    }
  | { readonly kind: 'unknown' };

/** Dialable characters. Anything else (letters, `+`, spaces) is not ours to classify. */
const DIALLED = /^[0-9*#]+$/;
const PICKUP_GROUP = /^[0-9]{1,3}$/;

/**
 * Classifies the digits a station dialled (the user part of the Request-URI, already
 * percent-decoded).
 *
 * Order: an exact station or ring group number, then the longest assigned feature code that
 * starts the digits (the rest is its argument), then the trunk prefix (stripped from `digits`).
 * In a plan that passed `validatePlan` at most one of these can match, so the order only matters
 * for an invalid plan, where a station is never hidden behind a code.
 */
export function classify(digits: string, plan: ClassifyPlan): Classification {
  if (!DIALLED.test(digits)) return { kind: 'unknown' };
  if (plan.isStation(digits)) return { kind: 'station', number: digits };
  if (plan.isGroup(digits)) return { kind: 'group', number: digits };

  const match = longestCode(digits, plan.codes);
  if (match)
    return classifyFeature(match.feature, match.code, digits.slice(match.code.length), plan);

  const prefix = plan.trunkPrefix;
  if (prefix && digits.startsWith(prefix) && digits.length > prefix.length) {
    return { kind: 'trunk', digits: digits.slice(prefix.length) };
  }
  const auth = plan.authCode;
  if (auth && digits.startsWith(auth)) return classifyAuth(digits.slice(auth.length), plan);
  return { kind: 'unknown' };
}

/**
 * After the auth feature code: an auth code, the trunk access code and the number, in one string
 * (the manual: not overlap sending). Auth codes may differ in length, so every split is tried,
 * shortest auth code first.
 */
function classifyAuth(rest: string, plan: ClassifyPlan): Classification {
  const prefix = plan.trunkPrefix;
  if (!prefix) return { kind: 'authError', detail: 'no trunk access code is assigned' };
  for (let i = 1; i < rest.length; i++) {
    const code = rest.slice(0, i);
    const after = rest.slice(i);
    if (!after.startsWith(prefix) || after.length <= prefix.length) continue;
    if (plan.isAuthCode?.(code)) {
      return { kind: 'trunk', digits: after.slice(prefix.length), authCode: code };
    }
  }
  return {
    kind: 'authError',
    detail: `no auth code followed by trunk access code ${prefix} and a number in ${rest || '(nothing)'}`,
  };
}

function longestCode(
  digits: string,
  codes: Readonly<FeatureCodes>,
): { feature: FeatureId; code: string } | undefined {
  let best: { feature: FeatureId; code: string } | undefined;
  for (const feature of FEATURE_IDS) {
    const code = codes[feature];
    if (!code || !digits.startsWith(code)) continue;
    if (!best || code.length > best.code.length) best = { feature, code };
  }
  return best;
}

function classifyFeature(
  feature: FeatureId,
  code: string,
  arg: string,
  plan: ClassifyPlan,
): Classification {
  const fail = (reason: FeatureErrorReason, detail: string): Classification =>
    arg === ''
      ? { kind: 'featureError', feature, code, reason, detail }
      : { kind: 'featureError', feature, code, reason, detail, arg };

  const kind = FEATURE_CODES[feature].argument;
  switch (kind) {
    case 'none':
      if (arg !== '')
        return fail(
          'unexpected-argument',
          `${feature} code ${code} takes no digits after it, got ${arg}`,
        );
      return { kind: 'feature', feature, code };
    case 'station':
      if (arg === '')
        return fail('missing-argument', `${feature} code ${code} needs a station number after it`);
      if (!plan.isStation(arg))
        return fail('unknown-station', `${arg} after ${feature} code ${code} is not a station`);
      return { kind: 'feature', feature, code, arg };
    case 'forward': {
      // A forward goes to a station or, with the trunk access code, to an outside number.
      if (arg === '')
        return fail('missing-argument', `${feature} code ${code} needs a destination after it`);
      if (plan.isStation(arg)) return { kind: 'feature', feature, code, arg };
      // The voice-mail access code: the dialling station's own mailbox.
      if (plan.codes.voicemail !== null && arg === plan.codes.voicemail)
        return { kind: 'feature', feature, code, arg };
      const prefix = plan.trunkPrefix;
      if (prefix && arg.startsWith(prefix) && arg.length > prefix.length && /^[0-9]+$/.test(arg))
        return { kind: 'feature', feature, code, arg };
      return fail(
        'unknown-station',
        `${arg} after ${feature} code ${code} is not a station` +
          (prefix ? ` nor trunk access code ${prefix} + an outside number` : ''),
      );
    }
    case 'onOff':
      if (arg === '')
        return fail('missing-argument', `${feature} code ${code} needs 1 (on) or 0 (off) after it`);
      if (arg !== '0' && arg !== '1')
        return fail('bad-argument', `${feature} code ${code} takes 1 or 0, got ${arg}`);
      return { kind: 'feature', feature, code, arg };
    case 'pickupGroup': {
      if (arg === '')
        return fail(
          'missing-argument',
          `${feature} code ${code} needs a pickup group number after it`,
        );
      if (!PICKUP_GROUP.test(arg))
        return fail(
          'bad-argument',
          `${arg} after ${feature} code ${code} is not a pickup group number`,
        );
      if (plan.isPickupGroup && !plan.isPickupGroup(arg)) {
        return fail(
          'unknown-pickup-group',
          `${arg} after ${feature} code ${code} is not a pickup group`,
        );
      }
      return { kind: 'feature', feature, code, arg };
    }
    case 'room':
      if (arg === '')
        return fail(
          'missing-argument',
          `${feature} code ${code} needs a room digit (0-9) after it`,
        );
      if (!/^[0-9]$/.test(arg))
        return fail('bad-argument', `${feature} code ${code} takes one room digit, got ${arg}`);
      return { kind: 'feature', feature, code, arg };
    default:
      return assertNever(kind);
  }
}

function assertNever(x: never): never {
  throw new Error(`unhandled argument kind ${String(x)}`);
}
