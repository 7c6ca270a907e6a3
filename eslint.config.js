import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['node_modules/**', 'cdk.out/**', '.venv/**', 'drill-report/**', 'coverage/**'] },
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
    files: ['lambdas/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['@aws-sdk/*', '@smithy/*', '@aws-lambda-powertools/*'],
              message: 'lambdas/core is pure: no SDK imports.',
            },
            {
              group: ['node:fs', 'node:net', 'node:http', 'node:https', 'node:child_process'],
              message: 'lambdas/core does no I/O.',
            },
          ],
        },
      ],
    },
  },
);
