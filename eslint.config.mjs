// ESLint flat config: typescript-eslint (type-aware only where cheap), Lit and web-component rules for the element.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import lit from 'eslint-plugin-lit';
import wc from 'eslint-plugin-wc';
import globals from 'globals';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'demo/models/**',
      'coverage/**',
      'examples/*/dist/**',
      'examples/.types-check/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['src/components/**/*.ts'],
    ...lit.configs['flat/recommended'],
  },
  {
    files: ['src/components/**/*.ts'],
    ...wc.configs['flat/recommended'],
  },
  {
    rules: {
      // `_`-prefixed names are deliberately unused (destructuring to drop a field, interface-shaped callbacks).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
      // Non-null assertions mark indices the surrounding code has bounds-checked (noUncheckedIndexedAccess style).
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    files: ['demo/**/*.js'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['**/*.mjs', 'tools/**/*.ts', 'bench/**/*.ts'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    // The consumer examples run in the browser; the examples test also runs code in the page (page.evaluate).
    files: ['examples/**/*.{js,ts,tsx}', 'tools/examples-test.mjs'],
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'tools/**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      // chai's property assertions (`expect(x).to.be.true`) are expressions.
      '@typescript-eslint/no-unused-expressions': 'off',
    },
  },
  {
    // The element's class merges with an interface that only adds typed addEventListener overloads (events.ts).
    files: ['src/components/sam2-segmenter.component.ts'],
    rules: { '@typescript-eslint/no-unsafe-declaration-merging': 'off' },
  },
);
