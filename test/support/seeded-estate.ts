import { seedEstate, type EmbeddedEstate } from '../../cli/embedded/estate';
import { validateConfig } from '../../lambdas/core/config/validate';
import { exampleConfig } from './example-config';
import { configFile } from './temp-dir';

/** Seeds the example estate into the running moto and writes its effective config to a file. */
export async function seedExampleEstate(): Promise<EmbeddedEstate & { configFile: string }> {
  const result = validateConfig(exampleConfig());
  if (!result.ok) throw new Error(`example config is invalid: ${JSON.stringify(result.errors)}`);
  const estate = await seedEstate(result.config);
  return { ...estate, configFile: configFile(estate.config, 'drpilot-estate-') };
}
