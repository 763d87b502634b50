// Lints code snippets as if they were files of the repo, with the repo's eslint.config.mjs but
// without type information, and prints the messages as JSON. Used by scripts/test to prove the
// import rules fire: jest cannot load ESLint's ESM config in-process without
// --experimental-vm-modules, so the test runs this in a child process.
// Input (stdin): [{ "filePath": "packages/x/src/y.ts", "code": "..." }, ...]
// Output (stdout): [[{ "ruleId": "...", "message": "..." }, ...], ...] in input order.
import { ESLint } from 'eslint';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');
const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const snippets = JSON.parse(Buffer.concat(chunks).toString('utf8'));
const rules = new Set(JSON.parse(process.argv[2] ?? '[]'));

const eslint = new ESLint({
  cwd: root,
  // Snippets are not in the TypeScript program, so no type information: keep only rules that
  // need none (the caller names them).
  overrideConfig: { languageOptions: { parserOptions: { project: null, projectService: false } } },
  ruleFilter: ({ ruleId }) => rules.has(ruleId),
});
const out = [];
for (const { filePath, code } of snippets) {
  const [result] = await eslint.lintText(code, { filePath: path.join(root, filePath) });
  out.push(result.messages.map((m) => ({ ruleId: m.ruleId, message: m.message })));
}
process.stdout.write(JSON.stringify(out));
