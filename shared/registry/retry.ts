// Retries with exponential backoff and jitter (ggcr remote.WithRetryBackoff, kaniko --push-retry).
// Temporary failures are resets, 408, 429 and 5xx (RegistryError.temporary); a 429 or 503
// with Retry-After waits what the registry asks, up to maxDelayMs * 4.
import { setTimeout as sleep } from 'node:timers/promises';
import { isKilnError } from '../errors.ts';
import type { Logger } from '../log.ts';

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = { now: () => Date.now(), sleep: (ms) => sleep(ms) };

export interface RetryPolicy {
  /** Total attempts for one request, before the --image-download-retry / --push-retry extras. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** 0..1: each delay is multiplied by a random factor in [1 - jitter, 1 + jitter]. */
  jitter: number;
}

export const defaultRetryPolicy: RetryPolicy = Object.freeze({
  attempts: 3,
  baseDelayMs: 500,
  maxDelayMs: 10_000,
  jitter: 0.2,
});

export interface RetryContext {
  policy: RetryPolicy;
  /** Extra attempts on top of policy.attempts. */
  extra: number;
  clock: Clock;
  logger: Logger;
  /** What is being done, for log lines: `pulling manifest host/repo:tag`. */
  what: string;
  random?: () => number;
}

/** Whether an error is worth another attempt. */
export function isTemporary(e: unknown): boolean {
  if (!isKilnError(e)) return false;
  if (e.code !== 'E_REGISTRY' && e.code !== 'E_REGISTRY_NETWORK' && e.code !== 'E_PUSH') return false;
  return (e as { temporary?: unknown }).temporary === true;
}

/** The delay a registry asked for with Retry-After, in ms, if it did. */
export function retryAfterMs(e: unknown, now: number): number | undefined {
  const raw = (e as { retryAfter?: unknown } | undefined)?.retryAfter;
  if (typeof raw !== 'string' || raw.trim() === '') return undefined;
  const secs = Number(raw.trim());
  if (Number.isFinite(secs) && secs >= 0) return secs * 1000;
  const when = Date.parse(raw);
  return Number.isNaN(when) ? undefined : Math.max(0, when - now);
}

export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number): number {
  const base = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
  const factor = 1 + policy.jitter * (2 * random() - 1);
  return Math.max(0, Math.round(base * factor));
}

/** Run `op` until it succeeds, fails permanently, or the attempts run out. */
export async function withRetry<T>(op: (attempt: number) => Promise<T>, ctx: RetryContext): Promise<T> {
  const total = Math.max(1, ctx.policy.attempts + Math.max(0, ctx.extra));
  const random = ctx.random ?? Math.random;
  for (let attempt = 0; ; attempt++) {
    try {
      return await op(attempt);
    } catch (e) {
      if (attempt + 1 >= total || !isTemporary(e)) throw e;
      const asked = retryAfterMs(e, ctx.clock.now());
      const delay = asked === undefined ? backoffDelay(attempt, ctx.policy, random) : Math.min(asked, ctx.policy.maxDelayMs * 4);
      ctx.logger.warn(`${ctx.what}: ${(e as Error).message}; retrying in ${delay} ms (attempt ${attempt + 2} of ${total})`);
      await ctx.clock.sleep(delay);
    }
  }
}
