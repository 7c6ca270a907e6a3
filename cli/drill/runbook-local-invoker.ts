import type { Context } from 'aws-lambda';
import type { Resolver } from '../../lambdas/adapters/tls/tls-probe';
import type { DrpilotConfig } from '../../lambdas/core/config/schema';
import type { RunbookAction, RunbookJob } from '../../lambdas/core/drill/runbook';
import { CONFIG_ENV, functionName } from '../../lambdas/core/shared-names';
import type { RunbookInvoker } from './runbook-runner';

type Handler = (event: unknown, context: Context) => Promise<unknown>;

/** Each job's deployed handler, loaded on use (the handlers bring their SDK clients). */
async function handlerOf(job: RunbookJob, resolver: Resolver | undefined): Promise<Handler> {
  switch (job) {
    case 'status':
      return (await import('../../lambdas/status/handler')).handler as Handler;
    case 'resize':
      return (await import('../../lambdas/resize/handler')).handler as Handler;
    case 'resync':
      return (await import('../../lambdas/resync/handler')).handler as Handler;
    case 'restore':
      return (await import('../../lambdas/restore/handler')).handler as Handler;
    case 'aks':
      return (await import('../../lambdas/aks/handler')).handler as Handler;
    case 'dns': {
      const { createDnsHandler, handler } = await import('../../lambdas/dns/handler');
      return (resolver ? createDnsHandler({ resolver }) : handler) as Handler;
    }
  }
}

/**
 * `--via local`: each runbook step runs the deployed function's own handler in this process, with
 * the config as the function's environment carries it and AWS_REGION set to where that function
 * runs (the DR region for the scale-up), so a step here and a Task of the state machine run the
 * same code on the same payload. `resolver`: where the DNS function reaches endpoints' TLS (the
 * embedded drill's local endpoints; DNS otherwise).
 */
export function localInvoker(config: DrpilotConfig, resolver?: Resolver): RunbookInvoker {
  return async (action: RunbookAction, payload: Record<string, unknown>) => {
    const region = action.region === 'dr' ? config.clusters.dr.region : config.controlRegion;
    const handler = await handlerOf(action.job, resolver);
    const saved = { config: process.env[CONFIG_ENV], region: process.env['AWS_REGION'] };
    process.env[CONFIG_ENV] = JSON.stringify(config);
    process.env['AWS_REGION'] = region;
    try {
      return await handler(payload, {
        awsRequestId: `drill-${action.id}`,
        invokedFunctionArn: `arn:aws:lambda:${region}:000000000000:function:${functionName(config, action.job)}`,
      } as Context);
    } finally {
      for (const [name, value] of [
        [CONFIG_ENV, saved.config],
        ['AWS_REGION', saved.region],
      ] as const) {
        if (value === undefined) Reflect.deleteProperty(process.env, name);
        else process.env[name] = value;
      }
    }
  };
}
