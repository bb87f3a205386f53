// Tests of the `stratagraph/layers` rule on imports written the ways the sources write them.

import path from 'node:path';
import { RuleTester } from 'eslint';
import tseslint from 'typescript-eslint';
import { afterAll, describe, it } from 'vitest';
import { layersRule, SRC } from './layers.js';

RuleTester.describe = describe;
RuleTester.it = it;
RuleTester.afterAll = afterAll;

// The TypeScript parser, as eslint.config.js uses it (`import type`, `export type *`).
const tester = new RuleTester({
  languageOptions: { parser: tseslint.parser, ecmaVersion: 2022, sourceType: 'module' },
});
const at = (rel) => path.join(SRC, rel);

tester.run('layers', layersRule, {
  valid: [
    { filename: at('features/runs/store.ts'), code: "import { useApp } from '../../common/app';" },
    { filename: at('features/runs/store.ts'), code: "import { api } from '../../ipc';" },
    { filename: at('features/runs/store.ts'), code: "import { sortTrades } from './trades';" },
    { filename: at('features/editor/a/b.ts'), code: "import { x } from '../../editor/store';" },
    { filename: at('features/editor/g.test.ts'), code: "import s from '../../fixtures/s.json';" },
    { filename: at('common/format.ts'), code: "import type { Metrics } from '../ipc/types';" },
    { filename: at('app/App.tsx'), code: "import { RunPanel } from '../features/runs/RunPanel';" },
    { filename: at('app/App.tsx'), code: "const v = import('../features/data/DataView');" },
    { filename: at('ipc/index.ts'), code: "export type * from './generated';" },
    { filename: at('main.tsx'), code: "import { App } from './app/App';" },
    { filename: at('features/runs/x.ts'), code: "import { create } from 'zustand';" },
  ],
  invalid: [
    {
      filename: at('features/runs/store.ts'),
      code: "import { useApp } from '../../app/store';",
      errors: [{ messageId: 'refused' }],
    },
    {
      filename: at('features/editor/EditorView.tsx'),
      code: "import { RunPanel } from '../runs/RunPanel';",
      errors: [{ message: /features\/editor may not import features\/runs/ }],
    },
    {
      filename: at('features/editor/EditorView.tsx'),
      code: "import type { X } from '../runs/store';",
      errors: [{ messageId: 'refused' }],
    },
    {
      filename: at('features/data/store.ts'),
      code: "export { useRuns } from '../runs/store';",
      errors: [{ messageId: 'refused' }],
    },
    {
      filename: at('features/data/store.ts'),
      code: "const m = import('../library/store');",
      errors: [{ messageId: 'refused' }],
    },
    {
      filename: at('common/app.ts'),
      code: "import { useEditor } from '../features/editor/store';",
      errors: [{ message: /common\/ is the floor/ }],
    },
    {
      filename: at('ipc/index.ts'),
      code: "import { useApp } from '../common/app';",
      errors: [{ messageId: 'refused' }],
    },
  ],
});
