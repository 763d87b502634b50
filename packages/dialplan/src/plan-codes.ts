/**
 * The two codes of the number plan that are not feature codes: the trunk access code (dialled
 * before an outside number, OfficeServ's LCR/trunk group access, default 9) and the auth feature
 * code (OfficeServ 4.7 "SIP Phone Auth code dialling": auth feature code + auth code + trunk
 * access code + digits in one INVITE). Stored beside the feature codes (`number_plan` rows named
 * `trunk` and `authCode`) and clash-checked like them.
 */
import { defaultCodes, isFeatureId, type NumberPlan } from './feature-codes';

/** The plan codes that are not feature codes. */
export const PLAN_CODE_IDS = ['trunk', 'authCode'] as const;
export type PlanCodeId = (typeof PLAN_CODE_IDS)[number];

export interface PlanCodeDefinition {
  readonly id: PlanCodeId;
  readonly defaultCode: string | null;
  readonly description: string;
}

export const PLAN_CODES: Readonly<Record<PlanCodeId, PlanCodeDefinition>> = {
  trunk: {
    id: 'trunk',
    defaultCode: '9',
    description: 'Trunk access code: dialled before an outside number (9 + 0398722900)',
  },
  authCode: {
    id: 'authCode',
    defaultCode: '16',
    description:
      'Auth code dialling: code + auth code + trunk access code + number, billed to the auth code',
  },
};

export function isPlanCodeId(value: string): value is PlanCodeId {
  return (PLAN_CODE_IDS as readonly string[]).includes(value);
}

/**
 * The plan in force from stored rows (`{ id: code | null }`): each feature code and plan code
 * takes its default unless a row sets another or unassigns it. Unknown ids are ignored.
 */
export function planFromStored(overrides: Readonly<Record<string, string | null>>): NumberPlan {
  const codes = defaultCodes();
  let trunk = PLAN_CODES.trunk.defaultCode;
  let auth = PLAN_CODES.authCode.defaultCode;
  for (const [id, code] of Object.entries(overrides)) {
    if (isFeatureId(id)) codes[id] = code;
    else if (id === 'trunk') trunk = code;
    else if (id === 'authCode') auth = code;
  }
  return {
    codes,
    ...(trunk !== null ? { trunkPrefix: trunk } : {}),
    ...(auth !== null ? { authCode: auth } : {}),
  };
}
