import { afterAll, beforeAll } from 'vitest';
import { startAzurite, type AzuriteProcess } from '../../../cli/emulator/azurite';

export interface AzuriteHarness {
  /** The `AzureWebJobsStorage` connection string; available once beforeAll has run. */
  readonly connectionString: string;
}

/**
 * One Azurite for the calling test file, with `AzureWebJobsStorage` pointing at it for the
 * file's tests.
 */
export function useAzurite(): AzuriteHarness {
  let azurite: AzuriteProcess | undefined;
  let previous: string | undefined;

  beforeAll(async () => {
    azurite = await startAzurite();
    previous = process.env.AzureWebJobsStorage;
    process.env.AzureWebJobsStorage = azurite.connectionString;
  });

  afterAll(async () => {
    if (previous === undefined) delete process.env.AzureWebJobsStorage;
    else process.env.AzureWebJobsStorage = previous;
    await azurite?.stop();
  });

  return {
    get connectionString() {
      if (!azurite) throw new Error('Azurite is not running: use it inside tests');
      return azurite.connectionString;
    },
  };
}
