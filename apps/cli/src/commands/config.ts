import path from 'node:path';
import {
  checkPlayableWav,
  envNamesOf,
  findOption,
  getOptionValue,
  OPTIONS,
  parseOptionValue,
  type OptionSpec,
} from '@pbx/config';
import type { Command } from 'commander';
import type { CliContext } from '../context';
import { UsageError } from '../errors';
import { printJson, printTable, say } from '../format';

function optionArg(name: string): OptionSpec {
  const option = findOption(name);
  if (!option) throw new UsageError(`${name}: unknown option (see pbx config list)`);
  return option;
}

function shown(option: OptionSpec, value: unknown): string {
  if (value === undefined) return '(unset)';
  if (option.secret) return '***';
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function sourceText(source: string | undefined): string {
  if (source === undefined) return '-';
  return source.startsWith('env:') ? source.slice(4) : source;
}

/** After a realm change, stored HA1 values are re-derived so the PBX need not do it per request. */
async function rehashIfRealmChanged(
  c: CliContext,
  before: string | undefined,
  after: string,
): Promise<void> {
  if (before === after) return;
  const r = await (await c.store()).stations.rehash(after);
  if (r.updated > 0)
    say(c.io, `re-derived the digest credentials of ${r.updated} stations for realm ${after}`);
  if (r.failed.length)
    say(c.io, `warning: could not decrypt the password of ${r.failed.join(', ')}`);
}

/**
 * `media.holdMusic` for the embedded media server: the file must be a WAV it can play; it is
 * stored as an absolute path (the PBX runs in another directory). An external media server's
 * file lives on that server and cannot be checked from here.
 */
function playableHoldMusic(value: string): string {
  const file = path.resolve(value);
  try {
    checkPlayableWav(file);
  } catch (err) {
    throw new UsageError(`media.holdMusic: ${(err as Error).message}`);
  }
  return file;
}

/** `pbx config list|get|set|unset`: system options, validated with packages/config. */
export function registerConfig(program: Command, ctx: () => CliContext): void {
  const config = program
    .command('config')
    .description(
      'system options (SIP Stack/Ext/Trunk Options); names like sip.expireTime or sip.expire-time',
    );

  config
    .command('list')
    .description('every option with its value and where it comes from')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const c = ctx();
      const { config: cfg, sources } = await c.config();
      const rows = OPTIONS.map((o) => {
        const value = getOptionValue(cfg, o.key);
        const source = o.key === 'db.path' && c.dbFromFlag ? '--db' : sources[o.key];
        return {
          key: o.key,
          value: o.secret && value !== undefined ? '***' : value,
          source: source ?? null,
          settable: o.settable,
          restart: o.restart,
          description: o.description,
        };
      });
      if (opts.json) return printJson(c.io, rows);
      printTable(
        c.io,
        ['Option', 'Value', 'Source', 'Settable', 'Description'],
        OPTIONS.map((o, i) => [
          o.key,
          shown(o, getOptionValue(cfg, o.key)),
          sourceText(rows[i]?.source ?? undefined),
          o.settable ? (o.restart ? 'yes (restart)' : 'yes') : 'no',
          o.description,
        ]),
      );
    });

  config
    .command('get <option>')
    .description('print the value of one option')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { json?: boolean }) => {
      const c = ctx();
      const option = optionArg(name);
      const { config: cfg, sources } = await c.config();
      const value = getOptionValue(cfg, option.key);
      if (opts.json) {
        return printJson(c.io, {
          key: option.key,
          value: option.secret && value !== undefined ? '***' : (value ?? null),
          source: sources[option.key] ?? null,
        });
      }
      say(c.io, shown(option, value));
    });

  config
    .command('set <option> <value> [more...]')
    .description(
      'store options in the database: pbx config set <option> <value> [<option> <value> ...]',
    )
    .action(async (first: string, firstValue: string, more: string[]) => {
      const c = ctx();
      const words = [first, firstValue, ...more];
      if (words.length % 2 !== 0) {
        throw new UsageError(`config set: option ${words.at(-1) ?? ''} has no value`);
      }
      const updates: Record<string, unknown> = {};
      for (let i = 0; i < words.length; i += 2) {
        const option = optionArg(words[i] ?? '');
        if (!option.settable) {
          const names = envNamesOf(option).join(' or ');
          throw new UsageError(
            `${option.key}: cannot be set with pbx config set; use ${names} or the PBX_CONFIG file`,
          );
        }
        const { key, value } = parseOptionValue(option.key, words[i + 1]);
        updates[key] = value;
      }
      const store = await c.store();
      const before = await c.config().catch(() => undefined);
      // The whole configuration must stay valid (e.g. TLS certificate and key together).
      let after = await c.config(updates);
      const holdMusic = updates['media.holdMusic'];
      if (typeof holdMusic === 'string' && after.config.media.mode === 'embedded') {
        updates['media.holdMusic'] = playableHoldMusic(holdMusic);
        after = await c.config(updates);
      }
      await store.options.setMany(updates);
      for (const [key, value] of Object.entries(updates)) {
        const option = optionArg(key);
        const source = after.sources[key];
        let line = `${key} = ${shown(option, value)}`;
        if (option.restart) line += ' (takes effect when the PBX restarts)';
        say(c.io, line);
        if (source !== 'database' && source !== undefined) {
          say(c.io, `note: ${sourceText(source)} overrides the stored value here`);
        }
      }
      await rehashIfRealmChanged(c, before?.config.sip.domain, after.config.sip.domain);
    });

  config
    .command('unset <option...>')
    .description('remove stored options so their defaults (or file/environment values) apply')
    .action(async (names: string[]) => {
      const c = ctx();
      const options = names.map(optionArg);
      const store = await c.store();
      const before = await c.config().catch(() => undefined);
      const removal = Object.fromEntries(options.map((o) => [o.key, undefined]));
      const after = await c.config(removal);
      const stored = await store.options.all();
      await store.options.setMany(removal);
      for (const o of options) {
        say(
          c.io,
          o.key in stored
            ? `${o.key} unset (now ${shown(o, getOptionValue(after.config, o.key))})`
            : `${o.key} was not set`,
        );
      }
      await rehashIfRealmChanged(c, before?.config.sip.domain, after.config.sip.domain);
    });
}
