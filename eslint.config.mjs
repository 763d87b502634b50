// ESLint flat config. TypeScript is linted with type information from one program over every
// workspace's src/ and test/ (tsconfig.check.json, which maps @pbx/* to sources as jest does):
// one program type-checks the repo once, where a project per workspace would check each
// package's sources again for every package that imports it. Plain JavaScript (bench/, bin
// stubs, config files) gets the recommended rules without types.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import { layersPlugin } from './scripts/eslint/import-layers.mjs';

const root = import.meta.dirname;

/** Which workspace package may import which (ARCHITECTURE.md, "Packages"). */
const packages = {
  'packages/sip-server': [],
  'packages/store': [],
  'packages/config': [],
  'packages/dialplan': ['packages/config'],
  // The administrator's changes shared by the pbx command and the HTTP API.
  'packages/admin': ['packages/config', 'packages/dialplan', 'packages/store'],
  'packages/media-server': ['packages/sip-server'],
  'apps/cli': ['packages/admin', 'packages/store', 'packages/config', 'packages/dialplan'],
  'apps/pbx': [
    'packages/admin',
    'packages/sip-server',
    'packages/store',
    'packages/config',
    'packages/dialplan',
    'packages/media-server',
  ],
};

/**
 * Folder layering inside a package's src/: a folder may import itself and what it lists. Files
 * of src/ outside every listed folder (server.ts, main.ts, index.ts, ...) may import anything.
 */
const layerTable = {
  // STYLE.md §1. `wire/` is the control side's transport (frame codec and the control-connection
  // server): like transport/ it sits right above message/, and dialog/ records which control
  // connection owns a dialog. errors.ts, logger.ts and churn-map.ts (a data structure) are leaves
  // every folder may use.
  'packages/sip-server/src': {
    message: ['errors', 'churn-map'],
    transport: ['message', 'errors', 'logger', 'churn-map'],
    wire: ['message', 'errors', 'logger', 'churn-map'],
    transaction: ['message', 'transport', 'errors', 'logger', 'churn-map'],
    dialog: ['message', 'transport', 'transaction', 'wire', 'errors', 'logger', 'churn-map'],
    core: [
      'message',
      'transport',
      'transaction',
      'dialog',
      'wire',
      'errors',
      'logger',
      'churn-map',
    ],
    proxy: [
      'message',
      'transport',
      'transaction',
      'dialog',
      'wire',
      'core',
      'errors',
      'logger',
      'churn-map',
    ],
  },
  // The call-control app's target layering (issue 7); main.ts, pbx.ts and context.ts wire it up.
  'apps/pbx/src': {
    sip: [],
    state: ['sip'],
    persistence: ['state', 'sip'],
    engine: ['state', 'sip', 'persistence'],
    features: ['engine', 'state', 'sip'],
    registrar: ['engine', 'state', 'sip', 'persistence'],
    trunks: ['engine', 'state', 'sip', 'persistence'],
    // Busy lamps, presence, message-waiting and instant messages (issue 9).
    presence: ['engine', 'state', 'sip', 'persistence'],
    messages: ['engine', 'state', 'sip', 'persistence'],
    signalling: ['engine', 'registrar', 'trunks', 'presence', 'messages', 'sip', 'state'],
    // The HTTP API, event stream, metrics and console server (issue 10): it reads the engine and
    // its neighbours; no folder imports it (pbx.ts wires it up).
    http: [
      'engine',
      'state',
      'sip',
      'persistence',
      'registrar',
      'presence',
      'messages',
      // The modules' handles, as types (the composition root's files).
      'context',
      'call-control',
      'presence-control',
      'messages-control',
      'applied-changes',
    ],
    // The media port on drachtio-fsmrf (the only folder that imports it).
    media: ['engine', 'sip', 'state'],
  },
};

const layers = Object.entries(layerTable).flatMap(([scope, table]) =>
  Object.entries(table).map(([layer, mayImport]) => ({ scope, layer, mayImport })),
);

const tsFiles = ['**/*.ts'];

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      'coverage/**',
      'data/**',
      '**/*.d.ts.map',
      '.jest-results.json',
    ],
  },
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  js.configs.recommended,
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
  },
  {
    // The web console's scripts run in the browser as ES modules (apps/pbx/console).
    files: ['apps/pbx/console/**/*.js'],
    languageOptions: { sourceType: 'module', globals: { ...globals.browser } },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { sourceType: 'module', globals: { ...globals.node } },
  },
  {
    files: tsFiles,
    extends: [tseslint.configs.recommended],
    languageOptions: {
      parserOptions: { project: './tsconfig.check.json', tsconfigRootDir: root },
      globals: { ...globals.node },
    },
    rules: {
      // The type-checked rules the project relies on (STYLE.md §11): promises are awaited or
      // marked `void`, never passed where a void callback is expected, and switches over unions
      // name every member (a `default` does not excuse a missing one).
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': [
        'error',
        { considerDefaultExhaustiveForUnions: false },
      ],
      '@typescript-eslint/consistent-type-imports': [
        'error',
        { prefer: 'type-imports', fixStyle: 'inline-type-imports' },
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          caughtErrors: 'none',
          ignoreRestSiblings: true,
        },
      ],
    },
  },
  {
    files: ['packages/*/src/**/*.ts', 'apps/*/src/**/*.ts'],
    plugins: { layers: layersPlugin },
    rules: {
      // Logging goes through the pino logger passed in (STYLE.md §7). An entry point whose output
      // is the product writes to process.stdout, or says so with a targeted disable.
      'no-console': 'error',
      'layers/imports': ['error', { root, packages, layers }],
    },
  },
  {
    // drachtio-srf stays behind the signalling adapters, drachtio-fsmrf behind the media port's
    // implementation (STYLE.md §1).
    files: ['apps/pbx/src/**/*.ts'],
    ignores: ['apps/pbx/src/signalling/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'drachtio-srf',
              message: 'Only apps/pbx/src/signalling/ imports drachtio-srf.',
            },
            {
              name: 'drachtio-fsmrf',
              message: 'Only apps/pbx/src/media/ imports drachtio-fsmrf.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['apps/pbx/src/signalling/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'drachtio-fsmrf',
              message: 'Only apps/pbx/src/media/ imports drachtio-fsmrf.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['apps/pbx/src/media/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'drachtio-srf',
              message: 'Only apps/pbx/src/signalling/ imports drachtio-srf.',
            },
          ],
        },
      ],
    },
  },
);
