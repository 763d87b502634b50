// Two projects: unit tests (pure code, no network) and integration tests (real sipp peers on
// loopback against the real server and app). Tests run on TypeScript sources through ts-jest;
// `tsc -b` does the type check.
const common = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.jest.json' }],
  },
  moduleNameMapper: { '^@pbx/(.*)$': '<rootDir>/packages/$1/src' },
  moduleFileExtensions: ['ts', 'js', 'json'],
  rootDir: __dirname,
};

module.exports = {
  maxWorkers: 2,
  // Integration tests wait on real peers; jest ignores testTimeout inside a project entry.
  testTimeout: 60000,
  projects: [
    {
      ...common,
      displayName: 'unit',
      // scripts/test: the repo's tooling (ESLint rules).
      testMatch: [
        '<rootDir>/{packages,apps}/*/test/**/*.test.ts',
        '<rootDir>/scripts/test/**/*.test.ts',
      ],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/{packages,apps}/*/test/**/*.itest.ts'],
    },
  ],
};
