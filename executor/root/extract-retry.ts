// --image-fs-extract-retry (kaniko's util.Retry around the base unpack): after a temporary
// failure — a reset or cut blob stream, a registry 5xx/429, a stream that ended short of its
// digest — the root is emptied of what the failed attempt wrote (what the ignore list holds is
// kept: Kiln's directory, the context, mounts) and the whole image is extracted again, after a
// growing pause. Starting from a clean root keeps whiteouts, opaque directories and the diff_id
// checks exactly as on a first attempt. A layer that is unsafe or malformed fails at once.
import { isKilnError, KilnError } from '../../shared/errors.ts';
import type { Layer } from '../../shared/image/index.ts';
import type { Logger } from '../../shared/log.ts';
import { cleanRoot } from './clean-root.ts';
import type { ExtractStats } from './extract-context.ts';
import { extractImage, type ExtractImageOptions } from './extract-image.ts';

export interface ExtractRetryOptions {
  /** Extra attempts after the first (0: none). */
  retries: number;
  /** The first pause in ms, doubled after each failed retry (kaniko: 1000). */
  initialDelayMs?: number;
  /** The longest pause (default 30 s). */
  maxDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** The extraction itself (tests hand in a fake); default extractImage. */
  extract?: (layers: readonly Layer[], opts: ExtractImageOptions) => Promise<ExtractStats[]>;
}

const NEVER_RETRIED = new Set(['E_UNSAFE_PATH', 'E_LAYER']);
const NETWORK_ERRNO = new Set(['ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);

/**
 * Whether another attempt could succeed: registry errors marked temporary, network errors and
 * digest or size mismatches (a stream cut short) anywhere in the cause chain — unless the error
 * is about the layer's content (unsafe or malformed entries), which the next attempt would
 * meet again.
 */
export function isTransientExtractError(e: unknown): boolean {
  let found = false;
  for (let c: unknown = e, depth = 0; c !== undefined && c !== null && depth < 16; c = (c as { cause?: unknown }).cause, depth++) {
    if (isKilnError(c)) {
      if (NEVER_RETRIED.has(c.code)) return false;
      if (c.code === 'E_REGISTRY_NETWORK' || c.code === 'E_DIGEST_MISMATCH') found = true;
      if ((c as { temporary?: unknown }).temporary === true) found = true;
    } else {
      const code = (c as { code?: unknown }).code;
      if (typeof code === 'string' && (NETWORK_ERRNO.has(code) || code.startsWith('UND_ERR_'))) found = true;
    }
  }
  return found;
}

/** extractImage, again from a clean root after a temporary failure, up to `retries` more times. */
export async function extractImageWithRetry(layers: readonly Layer[], opts: ExtractImageOptions, r: ExtractRetryOptions): Promise<ExtractStats[]> {
  const extract = r.extract ?? extractImage;
  const sleep = r.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const total = 1 + Math.max(0, r.retries);
  let delay = r.initialDelayMs ?? 1000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await extract(layers, opts);
    } catch (e) {
      if (!isTransientExtractError(e)) throw e;
      if (attempt >= total) throw lastError(e, { attempts: attempt });
      opts.logger?.warn(`extracting the base image filesystem failed (attempt ${attempt} of ${total}): ${(e as Error).message}; retrying in ${delay} ms`);
      await cleanAfterFailure(opts, opts.logger);
      await sleep(delay);
      delay = Math.min(delay * 2, r.maxDelayMs ?? 30_000);
    }
  }
}

async function cleanAfterFailure(opts: ExtractImageOptions, logger: Logger | undefined): Promise<void> {
  try {
    await cleanRoot(opts.root, opts.ignore, logger);
  } catch (cause) {
    throw new KilnError('E_IO', `cleaning the build root ${opts.root} after a failed extraction: ${(cause as Error).message}`, { cause });
  }
}

const RETRY_HINT = 'pass --image-fs-extract-retry N to extract the base image again up to N times after a temporary failure';

/** The last attempt's error: how many attempts were made, or (none allowed) a hint naming the flag. */
function lastError(e: unknown, o: { attempts: number }): unknown {
  if (!isKilnError(e)) return e;
  if (o.attempts > 1) return new KilnError(e.code, `${e.message} (after ${o.attempts} attempts)`, { cause: e, ...(e.hint !== undefined ? { hint: e.hint } : {}) });
  return new KilnError(e.code, e.message, { cause: e, hint: e.hint === undefined ? RETRY_HINT : `${e.hint}; or ${RETRY_HINT}` });
}
