import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError, type ConfigIssue } from './errors';
import {
  coerceOptionText,
  envNamesOf,
  findOption,
  OPTIONS,
  showValue,
  type OptionSpec,
} from './options';
import { PbxConfigSchema, type PbxConfig } from './schema';

/** Environment variables, as `process.env` holds them. */
export type Env = Readonly<Record<string, string | undefined>>;

/** Inputs of {@link loadConfig}, lowest precedence first: defaults < file < database < env. */
export interface LoadConfigInput {
  /** The environment (only main.ts and the CLI entry pass `process.env`). */
  env?: Env;
  /** A JSON file path, or its parsed content; defaults to `env.PBX_CONFIG` when set. */
  file?: string | Readonly<Record<string, unknown>>;
  /** Stored system options (`SystemOptionRepo.all()`), dotted key → value. */
  dbOptions?: Readonly<Record<string, unknown>>;
  /** Makes the drachtio secret when none is configured in embedded mode. */
  generateSecret?: () => string;
}

/**
 * Where an option's value came from: `default`, `generated`, `file`, `database` or
 * `env:<NAME>`.
 */
export type ConfigSource = 'default' | 'generated' | 'file' | 'database' | `env:${string}`;

/** The configuration plus where each value came from. */
export interface ResolvedConfig {
  config: PbxConfig;
  /** Source of every option that has a value. */
  sources: Record<string, ConfigSource>;
  /** Ignored database rows (unknown or not settable options). */
  warnings: string[];
  /** The file read, if any. */
  filePath?: string;
}

interface Slot {
  value: unknown;
  source: ConfigSource;
}

function describeSource(source: ConfigSource, filePath: string | undefined): string | undefined {
  if (source === 'default' || source === 'generated') return undefined;
  if (source === 'file') return filePath ? `file ${filePath}` : 'the config file';
  if (source === 'database') return 'the database';
  return source.slice('env:'.length);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function flatten(obj: Readonly<Record<string, unknown>>, prefix = ''): [string, unknown][] {
  const out: [string, unknown][] = [];
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (isPlainObject(v)) out.push(...flatten(v, key));
    else out.push([key, v]);
  }
  return out;
}

function readFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new ConfigError(
      [{ key: 'PBX_CONFIG', message: `cannot read config file ${path} (${code})` }],
      { cause: err },
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(
      [
        {
          key: 'PBX_CONFIG',
          message: `config file ${path} is not valid JSON (${(err as Error).message})`,
        },
      ],
      { cause: err },
    );
  }
  if (!isPlainObject(parsed)) {
    throw new ConfigError([
      { key: 'PBX_CONFIG', message: `config file ${path} must hold a JSON object` },
    ]);
  }
  return parsed;
}

function typed(option: OptionSpec, value: unknown): unknown {
  return typeof value === 'string' ? coerceOptionText(option, value) : value;
}

function setPath(
  target: Record<string, Record<string, unknown>>,
  key: string,
  value: unknown,
): void {
  const [section, name] = key.split('.');
  if (section === undefined || name === undefined) return;
  (target[section] ??= {})[name] = value;
}

/**
 * Secrets between the PBX and a server it talks to: the drachtio secret and the media server's
 * Event Socket password.
 */
const GENERATED_SECRETS = [
  { key: 'control.secret', modeKey: 'control.mode', externalMode: 'drachtio' },
  { key: 'media.eslPassword', modeKey: 'media.mode', externalMode: 'external' },
] as const;

/** A random drachtio secret (never logged; see `redactConfig`). */
export function randomSecret(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * Merges defaults < JSON file < database options < environment, validates the result and
 * reports every source. Throws {@link ConfigError} naming each bad key, its rule, the value and
 * where it came from, e.g. `sip.port: must be an integer between 0 and 65535 (0 picks a free
 * port) (got "abc" from PBX_SIP_PORT)`.
 */
export function resolveConfig(input: LoadConfigInput = {}): ResolvedConfig {
  const env = input.env ?? {};
  const slots = new Map<string, Slot>();
  const issues: ConfigIssue[] = [];
  const warnings: string[] = [];

  for (const option of OPTIONS) {
    if (option.default !== undefined)
      slots.set(option.key, { value: option.default, source: 'default' });
  }

  // File.
  let filePath: string | undefined;
  let fileContent: Readonly<Record<string, unknown>> | undefined;
  if (typeof input.file === 'string') filePath = input.file;
  else if (input.file) fileContent = input.file;
  else if (env.PBX_CONFIG) filePath = env.PBX_CONFIG;
  if (filePath !== undefined) fileContent = readFile(filePath);
  if (fileContent) {
    for (const [name, value] of flatten(fileContent)) {
      const option = findOption(name);
      if (!option) {
        issues.push({
          key: name,
          message: 'unknown option',
          source: describeSource('file', filePath),
        });
        continue;
      }
      if (value === null) slots.delete(option.key);
      else slots.set(option.key, { value: typed(option, value), source: 'file' });
    }
  }

  // Database.
  for (const [name, value] of Object.entries(input.dbOptions ?? {})) {
    const option = findOption(name);
    if (!option) {
      warnings.push(`ignored unknown option ${name} stored in the database`);
      continue;
    }
    if (!option.settable) {
      warnings.push(
        `ignored ${option.key} stored in the database (set it in the file or environment)`,
      );
      continue;
    }
    slots.set(option.key, { value: typed(option, value), source: 'database' });
  }

  // Environment.
  for (const option of OPTIONS) {
    const given = envNamesOf(option)
      .map((name) => ({ name, text: env[name] }))
      .filter(
        (e): e is { name: string; text: string } => e.text !== undefined && e.text.trim() !== '',
      );
    const first = given[0];
    if (!first) continue;
    const clash = given.find((g) => g.text.trim() !== first.text.trim());
    if (clash) {
      issues.push({
        key: option.key,
        message: `is set by both ${first.name} and ${clash.name} with different values`,
      });
      continue;
    }
    slots.set(option.key, { value: typed(option, first.text), source: `env:${first.name}` });
  }

  // Shared secrets: generated for an embedded server, required for an external one.
  for (const g of GENERATED_SECRETS) {
    if (slots.has(g.key)) continue;
    if (slots.get(g.modeKey)?.value === g.externalMode) {
      issues.push({ key: g.key, message: `is required when ${g.modeKey} is ${g.externalMode}` });
    } else {
      slots.set(g.key, { value: (input.generateSecret ?? randomSecret)(), source: 'generated' });
    }
  }

  const raw: Record<string, Record<string, unknown>> = {};
  for (const [key, slot] of slots) setPath(raw, key, slot.value);

  const result = PbxConfigSchema.safeParse(raw);
  if (!result.success) {
    for (const issue of result.error.issues) {
      const key = issue.path.map(String).join('.');
      if (issues.some((i) => i.key === key)) continue;
      const slot = slots.get(key);
      issues.push({
        key,
        message: issue.message,
        got: slot ? showValue(findOption(key), slot.value) : undefined,
        source: slot ? describeSource(slot.source, filePath) : undefined,
      });
    }
  }
  if (issues.length > 0) {
    const order = (k: string): number => {
      const i = OPTIONS.findIndex((o) => o.key === k);
      return i < 0 ? -1 : i;
    };
    throw new ConfigError([...issues].sort((a, b) => order(a.key) - order(b.key)));
  }
  const sources: Record<string, ConfigSource> = {};
  for (const [key, slot] of slots) sources[key] = slot.source;
  // `result.success` is true here: every failure threw above.
  return { config: (result as { data: PbxConfig }).data, sources, warnings, filePath };
}

/** {@link resolveConfig} without the sources: the configuration the PBX runs with. */
export function loadConfig(input: LoadConfigInput = {}): PbxConfig {
  return resolveConfig(input).config;
}

/** Paths for pino's `redact` option that cover the configuration's secrets. */
export const CONFIG_REDACT_PATHS: readonly string[] = [
  'control.secret',
  'config.control.secret',
  '*.control.secret',
  'media.eslPassword',
  'config.media.eslPassword',
  '*.media.eslPassword',
];

/** A copy safe to print or log: secrets replaced by `***`. */
export function redactConfig(config: PbxConfig): PbxConfig {
  return {
    ...config,
    control: { ...config.control, secret: '***' },
    media: { ...config.media, eslPassword: '***' },
  };
}
