// Lint: typescript-eslint with type information, plus the process boundaries as import rules:
// only src-main/electron may import electron / electron-store; src-shared imports no Node, DOM or Electron;
// src-renderer (type-checked against tsconfig.renderer.json) imports no Node and no Electron; the recorder's
// parsers (src-main/recorder/parse) are pure: no I/O, no Node built-ins but Buffer and crypto, nothing from the
// write path, the index or storage. Import cycles are checked by scripts/check-cycles.js (npm run lint).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const electronOnlyInShell = {
  paths: [
    {
      name: 'electron',
      message: 'Only src-main/electron/ may import electron (plain Node dies loading it).',
    },
    {
      name: 'electron-store',
      message: 'Only src-main/electron/ may import electron-store; use conf in the core.',
    },
  ],
};

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'tests/clients/node_modules/**',
      'test-artifacts/**',
      'bench-results/**',
      'out/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
      globals: { ...globals.node },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-imports': ['error', electronOnlyInShell],
    },
  },
  {
    files: ['src-main/electron/**/*.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: ['src-main/recorder/parse/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          ...electronOnlyInShell,
          patterns: [
            {
              regex:
                '^(node:)?(?!buffer$|crypto$)(assert|async_hooks|child_process|cluster|dgram|dns|events|fs|fs/promises|http|http2|https|module|net|os|path|perf_hooks|process|readline|stream|stream/promises|timers|tls|url|util|v8|vm|worker_threads|zlib)$',
              message:
                'recorder/parse is pure: no I/O and no Node built-ins but node:buffer and node:crypto.',
            },
            {
              regex: '^\\.\\./(?!\\.\\./\\.\\./src-shared/)',
              message:
                'recorder/parse imports only its siblings and src-shared (never the write path or storage).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src-shared/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          ...electronOnlyInShell,
          patterns: [
            {
              group: ['node:*', 'fs', 'path', 'http', 'https', 'net', 'os', 'crypto'],
              message: 'src-shared is runtime-neutral: no Node modules.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src-renderer/**/*.ts'],
    languageOptions: {
      parserOptions: {
        projectService: false,
        project: './tsconfig.renderer.json',
        tsconfigRootDir: import.meta.dirname,
      },
      globals: { ...globals.browser },
    },
    rules: {
      'no-restricted-imports': [
        'error',
        {
          ...electronOnlyInShell,
          patterns: [
            {
              group: [
                'node:*',
                'fs',
                'path',
                'http',
                'https',
                'net',
                'os',
                'crypto',
                'child_process',
                'worker_threads',
              ],
              message:
                'src-renderer runs in a browser window: no Node modules (talk to the core through lib/api.ts).',
            },
            {
              group: ['**/src-main/**'],
              message: 'src-renderer may only import src-shared, never src-main.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['vite.config.ts'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      parserOptions: { projectService: false, project: null },
      globals: { ...globals.node },
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: { ...globals.node } },
  },
);
