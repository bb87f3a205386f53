// ESLint flat config: typescript-eslint recommended, React hooks rules, and the UI's floors
// (eslint/layers.js: features import only common/ and ipc/).
import js from '@eslint/js';
import globals from 'globals';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';
import layers from './eslint/layers.js';

export default tseslint.config(
  { ignores: ['dist', 'node_modules', 'src/ipc/generated'] },
  {
    extends: [js.configs.recommended, ...tseslint.configs.recommended],
    files: ['**/*.{ts,tsx}'],
    languageOptions: { ecmaVersion: 2022, globals: globals.browser },
    plugins: { 'react-hooks': reactHooks, stratagraph: layers },
    rules: {
      'stratagraph/layers': 'error',
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'warn',
      '@typescript-eslint/no-explicit-any': 'error',
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['@tauri-apps/*'], message: 'Only ui/src/ipc/ may import @tauri-apps/*.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/ipc/**/*.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['eslint/**/*.js'],
    languageOptions: { ecmaVersion: 2022, globals: globals.node },
  },
);
