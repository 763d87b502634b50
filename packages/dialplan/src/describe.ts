import {
  FEATURE_CODES,
  FEATURE_IDS,
  type ArgumentKind,
  type FeatureId,
  type NumberPlan,
} from './feature-codes';

/** One line of `pbx numplan list`, and of the README table. */
export interface PlanRow {
  readonly feature: FeatureId;
  /** The code in force; `null` when unassigned. */
  readonly code: string | null;
  readonly defaultCode: string | null;
  readonly argument: ArgumentKind;
  /** How a phone user dials it: `601 + station`, `40 + 1 (on) / 0 (off)`, `(unassigned)`. */
  readonly dial: string;
  readonly description: string;
  /** The OfficeServ number-plan name where the manual gives one (`HOLD`, `DND`), else `''`. */
  readonly officeServName: string;
}

/** The plan as rows in code-table order, for the CLI and the docs. */
export function describePlan(plan: NumberPlan): PlanRow[] {
  return FEATURE_IDS.map((feature) => {
    const def = FEATURE_CODES[feature];
    const code = plan.codes[feature] ?? null;
    return {
      feature,
      code,
      defaultCode: def.defaultCode,
      argument: def.argument,
      dial: dialPattern(code, def.argument),
      description: def.description,
      officeServName: def.officeServName ?? '',
    };
  });
}

/** How a user dials a code with its argument. */
export function dialPattern(code: string | null, argument: ArgumentKind): string {
  if (code === null) return '(unassigned)';
  switch (argument) {
    case 'none':
      return code;
    case 'station':
      return `${code} + station`;
    case 'forward':
      return `${code} + station, trunk code + number, or voice-mail code`;
    case 'onOff':
      return `${code} + 1 (on) / 0 (off)`;
    case 'pickupGroup':
      return `${code} + pickup group`;
    case 'room':
      return `${code}0-${code}9 (room)`;
  }
}

/** The plan as a Markdown table (feature, dial, description), as the README shows it. */
export function planMarkdownTable(plan: NumberPlan): string {
  const lines = ['| feature | dial | what it does |', '|---|---|---|'];
  for (const row of describePlan(plan)) {
    lines.push(`| \`${row.feature}\` | ${row.dial} | ${row.description} |`);
  }
  return lines.join('\n');
}
