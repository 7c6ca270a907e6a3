import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import layers from './eslint-rules/layers.js';

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'cdk.out/**',
      '.venv/**',
      'drill-report/**',
      'coverage/**',
      '.drpilot/**',
      'dist/**',
      // Deliberately bad code: test/unit/layer-boundaries.test.ts lints it and expects each rule to fire.
      'test/fixtures/layers/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strict,
  prettier,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    // Tests poke at JSON documents and fixtures whose shape they assert anyway.
    files: ['test/**/*.ts', 'azure-functions/test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['azure-functions/src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@azure/*'],
              message: 'azure-functions/src/core is pure: no SDK imports.',
            },
            {
              group: ['node:fs', 'node:net', 'node:http', 'node:https', 'node:child_process'],
              message: 'azure-functions/src/core does no I/O.',
            },
          ],
        },
      ],
    },
  },
  {
    // Which folder may import which, and where the SDK and the network may be used.
    files: ['lambdas/**/*.ts', 'lib/**/*.ts', 'bin/**/*.ts', 'cli/**/*.ts'],
    plugins: { drpilot: layers },
    rules: { 'drpilot/import-boundaries': 'error' },
  },
);
