import { defineConfig } from 'vitest/config';

/**
 * Four projects (unit, integration, infra, e2e) plus the Azure Function app's own tests, run as
 * one suite by `npm test` and one at a time by `npm run test:<project>`.
 */
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Most tests wait on emulators in other processes (moto, kube-apiserver, Azurite, CoreDNS), so
    // more workers than cores keeps both cores busy; VITEST_MAX_WORKERS overrides it.
    maxWorkers: Number(process.env.VITEST_MAX_WORKERS ?? 3),
    // A passing run prints the reporter only; a failing test's logs are shown with it.
    silent: 'passed-only',
    // Serves the run's one real Kubernetes world to the tests that ask (test/support/k8s-world.ts).
    globalSetup: ['test/support/k8s-world-global-setup.ts'],
    // Handlers log JSON lines and EMF metrics; tests that read them set their own environment.
    env: {
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      { extends: true, test: { name: 'integration', include: ['test/integration/**/*.test.ts'] } },
      { extends: true, test: { name: 'infra', include: ['test/infra/**/*.test.ts'] } },
      // An e2e test runs the CLI as a process that starts its own emulators (moto, kube-apiserver,
      // CoreDNS): a guard against hangs, with room for a loaded 2-core CI machine.
      {
        extends: true,
        test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], testTimeout: 180_000 },
      },
      { extends: true, test: { name: 'azure', include: ['azure-functions/test/**/*.test.ts'] } },
    ],
  },
});
