import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    // Node resolves graphql 16 to its CommonJS entry for every importer (Pothos included); vite would pick
    // the .mjs build for our files, giving two graphql realms. Pin the one Node uses.
    alias: [{ find: /^graphql$/, replacement: 'graphql/index.js' }],
  },
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    globalSetup: ['test/global-setup.ts'],
  },
});
