// An ESLint rule (flat-config plugin) that keeps imports pointing down the layers: which
// workspace package may import which (ARCHITECTURE.md, "Packages"), and inside a package's src/
// which folder may import which (STYLE.md §1). Import specifiers are resolved to paths first, so
// `../../config/src/x`, `@pbx/config` and `../message/types` are judged by where they land, not by
// how they are spelled. The built-in no-restricted-imports matches spellings only, which cannot
// tell a relative import that leaves its package from one that stays inside it.
import fs from 'node:fs';
import path from 'node:path';

/** Strips a source extension and a trailing `/index`, so `x/index.ts`, `x.ts` and `x` compare equal. */
function normalise(p) {
  const noExt = p.replace(/\.(d\.ts|ts|mts|cts|js|mjs|cjs|json)$/, '');
  return noExt.endsWith('/index') ? noExt.slice(0, -'/index'.length) : noExt;
}

/** True when `target` is `entry` itself or lies inside the folder `entry`. */
function within(target, entry) {
  return target === entry || target.startsWith(`${entry}/`);
}

/** Where `spec`, imported from `file`, points: a repo-relative path or undefined for an npm module. */
function resolveSpecifier(spec, file, root, workspaces) {
  if (spec.startsWith('.'))
    return normalise(path.relative(root, path.resolve(path.dirname(file), spec)));
  const m = /^(@[^/]+\/[^/]+|[^@/][^/]*)(\/.*)?$/.exec(spec);
  if (!m) return undefined;
  const dir = workspaces.byName.get(m[1]);
  return dir ? normalise(`${dir}${m[2] ?? ''}`) : undefined;
}

/** Workspace folders (`packages/x`, `apps/y`) and their package names, read from the root package.json. */
export function readWorkspaces(root) {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const byName = new Map();
  const dirs = [];
  for (const pattern of pkg.workspaces ?? []) {
    const parent = pattern.replace(/\/\*$/, '');
    let names = [];
    try {
      names = fs.readdirSync(path.join(root, parent));
    } catch {
      continue;
    }
    for (const name of names) {
      const dir = `${parent}/${name}`;
      const manifest = path.join(root, dir, 'package.json');
      if (!fs.existsSync(manifest)) continue;
      dirs.push(dir);
      byName.set(JSON.parse(fs.readFileSync(manifest, 'utf8')).name, dir);
    }
  }
  return { dirs, byName };
}

const rule = {
  meta: {
    type: 'problem',
    docs: { description: 'Imports follow the package and folder layering.' },
    schema: [
      {
        type: 'object',
        properties: {
          root: { type: 'string' },
          packages: {
            type: 'object',
            additionalProperties: { type: 'array', items: { type: 'string' } },
          },
          layers: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                scope: { type: 'string' },
                layer: { type: 'string' },
                mayImport: { type: 'array', items: { type: 'string' } },
              },
              required: ['scope', 'layer', 'mayImport'],
              additionalProperties: false,
            },
          },
        },
        required: ['root', 'packages', 'layers'],
        additionalProperties: false,
      },
    ],
    messages: {
      crossPackage: '{{from}} may not import {{to}} (allowed: {{allowed}}).',
      relativeAcross:
        'Relative import leaves {{from}} for {{to}}: import the package by its name instead.',
      upward: '{{scope}}: {{from}} may not import {{to}} (allowed: {{allowed}}).',
    },
  },
  create(context) {
    const { root, packages, layers } = context.options[0];
    const workspaces = readWorkspaces(root);
    const file = path.relative(root, context.filename).split(path.sep).join('/');
    const ownPackage = workspaces.dirs.find((d) => file.startsWith(`${d}/src/`));
    if (!ownPackage) return {};
    const ownLayer = layers.find((l) => within(normalise(file), `${l.scope}/${l.layer}`));

    function check(node, spec) {
      if (typeof spec !== 'string') return;
      const target = resolveSpecifier(spec, context.filename, root, workspaces);
      if (target === undefined) return;
      const targetPackage = workspaces.dirs.find((d) => within(target, d));
      if (targetPackage && targetPackage !== ownPackage) {
        if (spec.startsWith('.')) {
          context.report({
            node,
            messageId: 'relativeAcross',
            data: { from: ownPackage, to: targetPackage },
          });
          return;
        }
        const allowed = packages[ownPackage] ?? [];
        if (!allowed.includes(targetPackage)) {
          const data = {
            from: ownPackage,
            to: targetPackage,
            allowed: allowed.join(', ') || 'none',
          };
          context.report({ node, messageId: 'crossPackage', data });
        }
        return;
      }
      if (!ownLayer || !within(target, ownLayer.scope)) return;
      const layerPath = (name) => `${ownLayer.scope}/${normalise(name)}`;
      if (within(target, layerPath(ownLayer.layer))) return;
      if (ownLayer.mayImport.some((name) => within(target, layerPath(name)))) return;
      const data = {
        scope: ownLayer.scope,
        from: ownLayer.layer,
        to: path.posix.relative(ownLayer.scope, target),
        allowed: ownLayer.mayImport.join(', ') || 'nothing else of this package',
      };
      context.report({ node, messageId: 'upward', data });
    }

    const fromSource = (node) => {
      if (node.source) check(node.source, node.source.value);
    };
    return {
      ImportDeclaration: fromSource,
      ExportNamedDeclaration: fromSource,
      ExportAllDeclaration: fromSource,
      ImportExpression(node) {
        if (node.source.type === 'Literal') check(node.source, node.source.value);
      },
      TSImportEqualsDeclaration(node) {
        const ref = node.moduleReference;
        if (ref.type === 'TSExternalModuleReference') check(ref.expression, ref.expression.value);
      },
      CallExpression(node) {
        const [arg] = node.arguments;
        if (
          node.callee.type === 'Identifier' &&
          node.callee.name === 'require' &&
          arg?.type === 'Literal'
        ) {
          check(arg, arg.value);
        }
      },
    };
  },
};

/** The plugin: register as `layers` and configure `layers/imports`. */
export const layersPlugin = { meta: { name: 'pbx-layers' }, rules: { imports: rule } };
