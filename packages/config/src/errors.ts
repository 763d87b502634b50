/** One invalid value: the option (or field) it belongs to and the rule it breaks. */
export interface ConfigIssue {
  /** Dotted option name (`sip.port`) or station field (`password`). */
  key: string;
  /** The rule, e.g. `must be an integer between 0 and 65535`. */
  message: string;
  /** Where the value came from (`PBX_SIP_PORT`, `file /etc/pbx.json`, `the database`), if known. */
  source?: string;
  /** The offending value, already made safe to print (secrets masked), if known. */
  got?: string;
}

/** Formats one issue as `key: rule (got "value" from SOURCE)`. */
export function formatIssue(issue: ConfigIssue): string {
  const parts: string[] = [];
  if (issue.got !== undefined) parts.push(`got ${issue.got}`);
  if (issue.source !== undefined) parts.push(`from ${issue.source}`);
  return `${issue.key}: ${issue.message}${parts.length ? ` (${parts.join(' ')})` : ''}`;
}

/**
 * Invalid configuration or input. The message names every bad key with its rule, one issue per
 * line; `issues` holds them structured.
 */
export class ConfigError extends Error {
  override name = 'ConfigError';
  constructor(
    readonly issues: readonly ConfigIssue[],
    options?: ErrorOptions,
  ) {
    super(issues.map(formatIssue).join('\n'), options);
  }
}
