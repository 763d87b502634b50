import { userInfo } from 'node:os';
import { findOption } from '@pbx/config';
import type { Command } from 'commander';
import type { CliIo } from './io';

/** Commands that change something (or copy the whole database): written to the audit log. */
export const AUDITED_COMMANDS = new Set([
  'ext add',
  'ext set',
  'ext remove',
  'group add',
  'group set',
  'group remove',
  'whitelist add',
  'whitelist remove',
  'block add',
  'block remove',
  'config set',
  'config unset',
  'numplan set',
  'numplan clear',
  'numplan reset',
  'backup',
  'restore',
  'admin passwd',
  'ext cti-password',
  'calls hangup',
]);

/** Option names whose values are never written anywhere. */
const SECRET_NAME = /pass|secret|key|token|^vmPin$/i;
export const REDACTED = '***';

/**
 * The arguments and options of a command as the audit log keeps them: values of options named
 * like a secret (`--password`), and values given to secret configuration options
 * (`config set control.secret ...`), become `***`.
 */
export function auditDetails(path: string, action: Command): Record<string, unknown> {
  const args = action.args.map(String);
  if (path === 'config set') {
    for (let i = 0; i + 1 < args.length; i += 2) {
      const option = findOption(args[i] ?? '');
      if (option === undefined || option.secret || SECRET_NAME.test(option.key))
        args[i + 1] = REDACTED;
    }
  }
  const options: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(action.opts())) {
    if (v === undefined) continue;
    options[k] = SECRET_NAME.test(k) ? REDACTED : v;
  }
  return { args, options };
}

/** Who runs the command: PBX_ACTOR, else the sudo user, else the OS user. */
export function actorOf(io: CliIo): string {
  const env = io.env;
  if (env.PBX_ACTOR) return env.PBX_ACTOR;
  let user = env.USER ?? '';
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry for this uid: keep $USER.
  }
  return env.SUDO_USER ? `${env.SUDO_USER} (sudo as ${user || 'root'})` : user || 'unknown';
}
