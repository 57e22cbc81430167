// Turning HTTP answers and socket failures into RegistryErrors that name the registry,
// method, redacted URL, status and distribution-spec codes, and never a credential.
import { RegistryError, type RegistryDiagnostic, type RegistryErrorOptions } from '../errors.ts';
import type { ErrorCode } from '../errors.ts';

/** A RegistryError that also knows Retry-After and whether a failure can never heal (TLS). */
export class RegistryHttpError extends RegistryError {
  readonly retryAfter?: string;
  readonly permanent: boolean;

  constructor(code: ErrorCode, message: string, options: RegistryErrorOptions & { retryAfter?: string; permanent?: boolean }) {
    super(code, message, options);
    this.name = 'RegistryError';
    if (options.retryAfter !== undefined) this.retryAfter = options.retryAfter;
    this.permanent = options.permanent ?? false;
  }

  override get temporary(): boolean {
    return !this.permanent && super.temporary;
  }
}

export interface ErrorContext {
  registry: string;
  method: string;
  url: string;
}

const MAX_ERROR_BODY = 64 * 1024;

/** Read at most 64 KiB of an error body and parse `{ errors: [{ code, message, detail }] }`. */
export async function readDiagnostics(body: AsyncIterable<Buffer | Uint8Array>): Promise<{ diagnostics: RegistryDiagnostic[]; text: string }> {
  const parts: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      if (size < MAX_ERROR_BODY) parts.push(Buffer.from(chunk));
      size += chunk.length;
    }
  } catch {
    // the status is what matters; a broken error body is not worth another error
  }
  const text = Buffer.concat(parts).subarray(0, MAX_ERROR_BODY).toString('utf8');
  try {
    const parsed = JSON.parse(text) as { errors?: unknown };
    if (Array.isArray(parsed.errors)) {
      const diagnostics = parsed.errors
        .filter((e): e is Record<string, unknown> => typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string')
        .map((e) => ({ code: e['code'] as string, ...(typeof e['message'] === 'string' ? { message: e['message'] } : {}), ...(e['detail'] !== undefined ? { detail: e['detail'] } : {}) }));
      return { diagnostics, text };
    }
  } catch {
    // not JSON
  }
  return { diagnostics: [], text };
}

export interface StatusErrorInput extends ErrorContext {
  status: number;
  diagnostics: RegistryDiagnostic[];
  retryAfter?: string;
}

export function statusError(input: StatusErrorInput): RegistryHttpError {
  const { status, diagnostics } = input;
  const detail = diagnostics.map((d) => (d.message ? `${d.code}: ${d.message}` : d.code)).join('; ');
  const auth = status === 401 || status === 403;
  const message = `${input.method} ${input.url}: status ${status}${detail ? ` (${detail})` : ''}`;
  return new RegistryHttpError(auth ? 'E_REGISTRY_AUTH' : 'E_REGISTRY', message, {
    status,
    method: input.method,
    url: input.url,
    diagnostics,
    ...(input.retryAfter !== undefined ? { retryAfter: input.retryAfter } : {}),
    ...(auth
      ? {
          hint: status === 401
            ? `check the credentials for ${input.registry} (DOCKER_CONFIG/config.json, a credential helper, or REGISTRY_AUTH_FILE)`
            : `the credentials for ${input.registry} are valid but lack access to this repository`,
        }
      : {}),
  });
}

const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS|ERR_SSL|EPROTO|HOSTNAME_MISMATCH|ALTNAME/;

/** A socket-level failure: reset, refused, timeout (temporary) or TLS (permanent). */
export function networkError(cause: unknown, ctx: ErrorContext): RegistryHttpError {
  const e = cause as { code?: string; message?: string; cause?: { code?: string } };
  const code = e.code ?? e.cause?.code ?? '';
  const why = code && code !== 'UND_ERR_SOCKET' ? code : (e.message ?? String(cause));
  const tls = TLS_CODES.test(code) || TLS_CODES.test(e.cause?.code ?? '');
  return new RegistryHttpError('E_REGISTRY_NETWORK', `${ctx.method} ${ctx.url}: ${tls ? 'TLS failure: ' : ''}${why}`, {
    method: ctx.method,
    url: ctx.url,
    cause,
    permanent: tls,
    hint: tls
      ? `trust its CA with --registry-certificate ${ctx.registry}=ca.pem, or skip verification with --skip-tls-verify-registry ${ctx.registry}`
      : `check that ${ctx.registry} is reachable`,
  });
}

/** A registry answer that means "this image or blob is not there". */
export function isNotFound(e: unknown): boolean {
  if (!(e instanceof RegistryError) && (e as { code?: string })?.code !== 'E_REGISTRY') return false;
  const err = e as RegistryError;
  if (err.status === 404) return true;
  return (err.diagnostics ?? []).some((d) => d.code === 'MANIFEST_UNKNOWN' || d.code === 'NAME_UNKNOWN' || d.code === 'BLOB_UNKNOWN');
}
