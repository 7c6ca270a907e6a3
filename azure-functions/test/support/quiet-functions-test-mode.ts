/**
 * Outside the Functions host, `app.http()` and friends print that @azure/functions runs in test
 * mode and skips registration — expected here, where tests call the exported handlers directly.
 * Import this before any function module so tests print results, not those two lines.
 */
const TEST_MODE_WARNINGS = [
  'WARNING: Failed to detect the Azure Functions runtime.',
  'WARNING: Skipping call to register function',
];
const warn = console.warn.bind(console);
console.warn = (...args: unknown[]) => {
  const first = typeof args[0] === 'string' ? args[0] : '';
  if (TEST_MODE_WARNINGS.some((prefix) => first.startsWith(prefix))) return;
  warn(...args);
};
