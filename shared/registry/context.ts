// What every registry operation needs: the session, the options, retries and a logger.
import type { Logger } from '../log.ts';
import type { RegistryOptions } from './options.ts';
import { type Clock, type RetryPolicy, withRetry } from './retry.ts';
import type { Session } from './session.ts';
import type { Direction } from './transport.ts';

export interface ClientContext {
  session: Session;
  options: RegistryOptions;
  policy: RetryPolicy;
  clock: Clock;
  logger: Logger;
  random?: () => number;
}

/** Retry `op` with the policy plus --image-download-retry (pull) or --push-retry (push). */
export function retrying<T>(ctx: ClientContext, direction: Direction, what: string, op: (attempt: number) => Promise<T>): Promise<T> {
  const extra = direction === 'pull' ? ctx.options.imageDownloadRetry : ctx.options.pushRetry;
  return withRetry(op, {
    policy: ctx.policy,
    extra,
    clock: ctx.clock,
    logger: ctx.logger,
    what,
    ...(ctx.random ? { random: ctx.random } : {}),
  });
}

export const pullScope = (repository: string): string => `repository:${repository}:pull`;
export const pushScope = (repository: string): string => `repository:${repository}:pull,push`;
