import { afterAll, beforeAll, beforeEach } from 'vitest';
import {
  startMotoServer,
  type MotoServer,
  type MotoServerOptions,
} from '../../cli/emulator/moto-server';
import { pointAwsClientsAt } from '../../cli/emulator/emulated-aws';
import { clearAwsClientCache } from '../../lambdas/adapters/aws/clients';

export interface MotoHarness {
  /** `http://127.0.0.1:PORT`; available once beforeAll has run. */
  readonly endpoint: string;
  /** Empties moto now (it is also emptied before every test). */
  reset(): Promise<void>;
}

export interface UseMotoOptions extends MotoServerOptions {
  /** Default true: every test starts from an empty moto. */
  resetBeforeEach?: boolean;
}

/**
 * One moto server for the calling test file: started in beforeAll with the environment pointing
 * every AWS client at it, reset before each test, stopped (and the environment restored) in afterAll.
 */
export function useMoto(options: UseMotoOptions = {}): MotoHarness {
  let server: MotoServer | undefined;
  let restoreEnv: (() => void) | undefined;
  const running = () => {
    if (!server) throw new Error('moto is not running: use it inside tests, after beforeAll');
    return server;
  };

  beforeAll(async () => {
    server = await startMotoServer(options);
    restoreEnv = pointAwsClientsAt(server.endpoint);
  });

  if (options.resetBeforeEach ?? true) {
    beforeEach(async () => {
      await running().reset();
      clearAwsClientCache(); // a test may have added middleware (an injected fault) to a client
    });
  }

  afterAll(async () => {
    restoreEnv?.();
    await server?.stop();
    server = undefined;
  });

  return {
    get endpoint() {
      return running().endpoint;
    },
    reset: () => running().reset(),
  };
}
