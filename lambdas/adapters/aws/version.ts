/** drpilot's version, kept equal to package.json's by a test (bundles cannot read package.json). */
export const DRPILOT_VERSION = '0.1.0';
