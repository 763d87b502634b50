/**
 * The import-direction rules of eslint.config.mjs fire: snippets placed (virtually) in the repo's
 * folders are linted with the real config, so a rule that silently stopped matching fails here.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');
const RULES = ['layers/imports', 'no-restricted-imports', 'no-console'];

interface Finding {
  ruleId: string | null;
  message: string;
}

interface Case {
  name: string;
  filePath: string;
  code: string;
  /** Expected findings as `ruleId: message fragment`; empty when the import is allowed. */
  expect: string[];
}

const importOf = (spec: string, name = 'x'): string =>
  `import { ${name} } from '${spec}';\nexport const ${name}2 = ${name};\n`;

const cases: Case[] = [
  // Packages (ARCHITECTURE.md): who may import whom.
  {
    name: 'store may not import config',
    filePath: 'packages/store/src/a.ts',
    code: importOf('@pbx/config'),
    expect: ['layers/imports: packages/store may not import packages/config (allowed: none)'],
  },
  {
    name: 'dialplan may import config',
    filePath: 'packages/dialplan/src/a.ts',
    code: importOf('@pbx/config'),
    expect: [],
  },
  {
    name: 'a package may not import an app',
    filePath: 'packages/config/src/a.ts',
    code: importOf('@pbx/pbx'),
    expect: ['layers/imports: packages/config may not import apps/pbx'],
  },
  {
    name: 'media-server may import sip-server',
    filePath: 'packages/media-server/src/a.ts',
    code: importOf('@pbx/sip-server'),
    expect: [],
  },
  {
    name: 'sip-server may not import media-server',
    filePath: 'packages/sip-server/src/a.ts',
    code: importOf('@pbx/media-server'),
    expect: ['layers/imports: packages/sip-server may not import packages/media-server'],
  },
  {
    name: 'a relative import into an allowed package is still refused',
    filePath: 'packages/dialplan/src/a.ts',
    code: importOf('../../config/src/schema'),
    expect: ['layers/imports: Relative import leaves packages/dialplan for packages/config'],
  },
  {
    name: 'a relative import into an app is refused',
    filePath: 'packages/store/src/repos/a.ts',
    code: importOf('../../../../apps/pbx/src/main'),
    expect: ['layers/imports: Relative import leaves packages/store for apps/pbx'],
  },
  {
    name: 'cli may import store, config, dialplan',
    filePath: 'apps/cli/src/commands/a.ts',
    code: `${importOf('@pbx/store')}${importOf('@pbx/config', 'c')}${importOf('@pbx/dialplan', 'd')}`,
    expect: [],
  },
  {
    name: 'cli may not import sip-server, also through require()',
    filePath: 'apps/cli/src/a.ts',
    code: "export const s: unknown = require('@pbx/sip-server');\n",
    expect: ['layers/imports: apps/cli may not import packages/sip-server'],
  },
  // sip-server folders (STYLE.md §1).
  {
    name: 'message/ may not import transport/',
    filePath: 'packages/sip-server/src/message/a.ts',
    code: importOf('../transport/types'),
    expect: ['layers/imports: packages/sip-server/src: message may not import transport/types'],
  },
  {
    name: 'message/ may import errors.ts',
    filePath: 'packages/sip-server/src/message/a.ts',
    code: importOf('../errors'),
    expect: [],
  },
  {
    name: 'message/ may not import server.ts',
    filePath: 'packages/sip-server/src/message/a.ts',
    code: importOf('../server'),
    expect: ['layers/imports: packages/sip-server/src: message may not import server'],
  },
  {
    name: 'transaction/ may import message/ and transport/',
    filePath: 'packages/sip-server/src/transaction/a.ts',
    code: `${importOf('../message')}export { z } from '../transport/types';\n`,
    expect: [],
  },
  {
    name: 'transport/ may not re-export from transaction/',
    filePath: 'packages/sip-server/src/transport/a.ts',
    code: "export * from '../transaction';\n",
    expect: ['layers/imports: packages/sip-server/src: transport may not import transaction'],
  },
  {
    name: 'core/ may not import proxy/ (proxy sits above core)',
    filePath: 'packages/sip-server/src/core/a.ts',
    code: importOf('../proxy/relay'),
    expect: ['layers/imports: packages/sip-server/src: core may not import proxy/relay'],
  },
  {
    name: 'proxy/ may import core/',
    filePath: 'packages/sip-server/src/proxy/a.ts',
    code: importOf('../core/sip-core'),
    expect: [],
  },
  {
    name: 'dialog/ may not import core/ with a dynamic import',
    filePath: 'packages/sip-server/src/dialog/a.ts',
    code: "export const m = import('../core/sip-core');\n",
    expect: ['layers/imports: packages/sip-server/src: dialog may not import core/sip-core'],
  },
  // apps/pbx target layering (issue 7).
  {
    name: 'state/ may import sip/',
    filePath: 'apps/pbx/src/state/a.ts',
    code: importOf('../sip/types'),
    expect: [],
  },
  {
    name: 'state/ may not import engine/',
    filePath: 'apps/pbx/src/state/a.ts',
    code: importOf('../engine/call'),
    expect: ['layers/imports: apps/pbx/src: state may not import engine/call (allowed: sip)'],
  },
  {
    name: 'state/ may not import context.ts',
    filePath: 'apps/pbx/src/state/a.ts',
    code: importOf('../context'),
    expect: ['layers/imports: apps/pbx/src: state may not import context'],
  },
  {
    name: 'sip/ imports nothing else of the app',
    filePath: 'apps/pbx/src/sip/a.ts',
    code: importOf('../state'),
    expect: ['layers/imports: apps/pbx/src: sip may not import state'],
  },
  {
    name: 'features/ may not import registrar/',
    filePath: 'apps/pbx/src/features/a.ts',
    code: importOf('../registrar/bindings'),
    expect: ['layers/imports: apps/pbx/src: features may not import registrar/bindings'],
  },
  {
    name: 'signalling/ may import registrar/ and drachtio-srf',
    filePath: 'apps/pbx/src/signalling/a.ts',
    code: `${importOf('../registrar')}import Srf from 'drachtio-srf';\nexport const s = Srf;\n`,
    expect: [],
  },
  {
    name: 'only signalling/ imports drachtio-srf',
    filePath: 'apps/pbx/src/features/a.ts',
    code: "import type { SrfRequest } from 'drachtio-srf';\nexport type R = SrfRequest;\n",
    expect: ["no-restricted-imports: 'drachtio-srf' import is restricted"],
  },
  {
    name: 'only media/ imports drachtio-fsmrf (not engine/)',
    filePath: 'apps/pbx/src/engine/a.ts',
    code: "import Mrf from 'drachtio-fsmrf';\nexport const m = Mrf;\n",
    expect: ["no-restricted-imports: 'drachtio-fsmrf' import is restricted"],
  },
  {
    name: 'only media/ imports drachtio-fsmrf (not signalling/)',
    filePath: 'apps/pbx/src/signalling/a.ts',
    code: "import Mrf from 'drachtio-fsmrf';\nexport const m = Mrf;\n",
    expect: ["no-restricted-imports: 'drachtio-fsmrf' import is restricted"],
  },
  {
    name: 'media/ may import drachtio-fsmrf and engine/',
    filePath: 'apps/pbx/src/media/a.ts',
    code: `${importOf('../engine/media-port')}import Mrf from 'drachtio-fsmrf';\nexport const m = Mrf;\n`,
    expect: [],
  },
  {
    name: 'media/ may not import drachtio-srf',
    filePath: 'apps/pbx/src/media/a.ts',
    code: "import Srf from 'drachtio-srf';\nexport const s = Srf;\n",
    expect: ["no-restricted-imports: 'drachtio-srf' import is restricted"],
  },
  {
    name: 'media/ may not import features/',
    filePath: 'apps/pbx/src/media/a.ts',
    code: importOf('../features/park'),
    expect: ['layers/imports: apps/pbx/src: media may not import features/park'],
  },
  {
    name: 'engine/ may not import media/',
    filePath: 'apps/pbx/src/engine/a.ts',
    code: importOf('../media/media-connection'),
    expect: ['layers/imports: apps/pbx/src: engine may not import media/media-connection'],
  },
  {
    name: 'main.ts may import any folder',
    filePath: 'apps/pbx/src/main.ts',
    code: `${importOf('./signalling/srf')}${importOf('./engine', 'e')}`,
    expect: [],
  },
  {
    name: 'tests are not layered',
    filePath: 'apps/pbx/test/a.test.ts',
    code: importOf('../../cli/src/main'),
    expect: [],
  },
  // Logging (STYLE.md §7).
  {
    name: 'no console in src/',
    filePath: 'packages/store/src/a.ts',
    code: "console.log('x');\n",
    expect: ['no-console: Unexpected console statement'],
  },
  {
    name: 'console is fine in tests',
    filePath: 'packages/store/test/a.test.ts',
    code: "console.log('x');\n",
    expect: [],
  },
];

function lint(snippets: Array<{ filePath: string; code: string }>): Finding[][] {
  const out = execFileSync(
    process.execPath,
    [path.join(root, 'scripts/eslint/lint-snippets.mjs'), JSON.stringify(RULES)],
    { cwd: root, input: JSON.stringify(snippets), encoding: 'utf8', timeout: 60_000 },
  );
  return JSON.parse(out) as Finding[][];
}

describe('eslint import-direction rules', () => {
  let findings: Finding[][];

  beforeAll(() => {
    findings = lint(cases.map(({ filePath, code }) => ({ filePath, code })));
  }, 60_000);

  it.each(cases.map((c, i) => [c.name, i] as const))('%s', (_name, i) => {
    const c = cases[i]!;
    const got = findings[i]!.map((f) => `${f.ruleId ?? 'parse'}: ${f.message}`);
    expect(got).toHaveLength(c.expect.length);
    c.expect.forEach((fragment, k) => expect(got[k]).toContain(fragment));
  });
});
