// ESLint rule `stratagraph/layers`: the UI's floors (ui/README.md, "Layers"). Every relative
// import is resolved to the folder it lands in and checked against what the importing file's
// floor may see: ipc/ nothing above it, common/ only ipc/, a feature only itself, common/, ipc/
// and test fixtures, app/ everything. Bare package imports are left to `no-restricted-imports`.

import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The UI sources the rule applies to. */
export const SRC = fileURLToPath(new URL('../src/', import.meta.url));

/**
 * Where a file sits: `ipc`, `common`, `app`, `fixtures`, `main` (src/main.tsx and src/*.css),
 * `feature` (with its name), or `outside` (not under src/).
 */
export function floorOf(file, src = SRC) {
  const rel = path.relative(src, file);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return { floor: 'outside' };
  // An import may name a folder (`../../ipc` is ipc/index.ts).
  const [top, name] = rel.split(path.sep);
  if (top === 'features') return { floor: 'feature', feature: name };
  if (top === 'ipc' || top === 'common' || top === 'app' || top === 'fixtures') {
    return { floor: top };
  }
  return name === undefined ? { floor: 'main' } : { floor: 'outside' };
}

/** Why `from` may not import `to` (both from `floorOf`), or null when it may. */
export function refusal(from, to) {
  if (to.floor === 'outside') return null;
  switch (from.floor) {
    case 'ipc':
      return to.floor === 'ipc' ? null : 'ui/src/ipc/ imports nothing of the app above it';
    case 'common':
      return to.floor === 'common' || to.floor === 'ipc'
        ? null
        : 'ui/src/common/ is the floor under the features: it imports only common/ and ipc/';
    case 'feature':
      if (to.floor === 'feature' && to.feature === from.feature) return null;
      if (to.floor === 'common' || to.floor === 'ipc' || to.floor === 'fixtures') return null;
      if (to.floor === 'feature') {
        return `features/${from.feature} may not import features/${to.feature}: move what both need to common/, or let app/ pass it in`;
      }
      return `features/${from.feature} may not import ${to.floor}/: features import only common/ and ipc/, app/ composes them`;
    case 'fixtures':
      return 'test fixtures import nothing';
    default:
      return null;
  }
}

/** @type {import('eslint').Rule.RuleModule} */
export const layersRule = {
  meta: {
    type: 'problem',
    docs: { description: 'Keep the UI floors: features import only common/ and ipc/.' },
    schema: [],
    messages: { refused: '{{why}} (import "{{source}}").' },
  },
  create(context) {
    const file = context.filename;
    const from = floorOf(file);
    if (from.floor === 'outside') return {};
    const check = (node, source) => {
      if (typeof source !== 'string' || !source.startsWith('.')) return;
      const to = floorOf(path.resolve(path.dirname(file), source));
      const why = refusal(from, to);
      if (why) context.report({ node, messageId: 'refused', data: { why, source } });
    };
    const fromSource = (node) => node.source && check(node, node.source.value);
    return {
      ImportDeclaration: fromSource,
      ExportNamedDeclaration: fromSource,
      ExportAllDeclaration: fromSource,
      ImportExpression: (node) => node.source.type === 'Literal' && check(node, node.source.value),
    };
  },
};

/** The plugin as eslint.config.js registers it. */
export default { rules: { layers: layersRule } };
