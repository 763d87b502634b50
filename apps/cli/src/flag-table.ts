/**
 * A command's settings flags as a table (`ext add|set`, `trunk add|set`): which input field each
 * flag fills, and validation messages told in terms of the flag the user typed.
 */
import { ConfigError, type ConfigIssue } from '@pbx/config';

export interface SettingFlag {
  /** Field of the input the parser validates (e.g. parseStationCreate). */
  readonly field: string;
  /** Commander's attribute name for the flag. */
  readonly attr: string;
  readonly flag: string;
  readonly help: string;
}

export interface FlagTable {
  /** The input fields given on the command line, from commander's options. */
  collect(opts: Record<string, unknown>): Record<string, unknown>;
  /** A validation error with field names replaced by flags (`pickupGroup` → `--pickup-group`). */
  withFlags(err: unknown): unknown;
}

export function flagTable(flags: readonly SettingFlag[]): FlagTable {
  const flagOfField = new Map(flags.map((f) => [f.field, f.flag.split(' ')[0] ?? f.flag]));
  return {
    collect(opts) {
      const input: Record<string, unknown> = {};
      for (const f of flags) if (opts[f.attr] !== undefined) input[f.field] = opts[f.attr];
      return input;
    },
    withFlags(err) {
      if (!(err instanceof ConfigError)) return err;
      const issues: ConfigIssue[] = err.issues.map((i) => ({
        ...i,
        key: flagOfField.get(i.key) ?? i.key,
      }));
      return new ConfigError(issues, { cause: err });
    },
  };
}
