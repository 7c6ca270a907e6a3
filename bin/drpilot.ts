import { App } from 'aws-cdk-lib';
import { formatSettingsErrors, resolveAppSettings } from '../lib/app-settings';
import { addDrpilotStacks } from '../lib/drpilot-app';
import { configFileSystem } from './config-file-system';

const app = new App();
const settings = resolveAppSettings({
  configContext: app.node.tryGetContext('config'),
  accountContext: app.node.tryGetContext('account'),
  env: process.env,
  cwd: process.cwd(),
  fs: configFileSystem,
});
if (!settings.ok) {
  process.stderr.write(`${formatSettingsErrors(settings)}\n`);
  process.exit(2);
}
if (settings.accountSource === 'placeholder') {
  process.stderr.write(
    `drpilot: no AWS credentials and no -c account=…: synthesizing for placeholder account ${settings.account} (not deployable)\n`,
  );
}
addDrpilotStacks(app, settings.config, settings.account);
app.synth();
