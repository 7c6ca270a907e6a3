import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'azure-functions/test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Serves the run's one real Kubernetes world to the tests that ask (test/support/k8s-world.ts).
    globalSetup: ['test/support/k8s-world-global-setup.ts'],
    // Handlers log JSON lines; tests that read logs set their own level.
    env: {
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
  },
});
