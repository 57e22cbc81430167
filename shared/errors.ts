// One error class with a stable code, a hint and a cause (STYLE.md §4).
// Check `code` (or isKilnError) rather than `instanceof`: two bundles may each carry a copy.

export const ErrorCodes = [
  'E_USAGE', // bad flags or arguments
  'E_NOT_IMPLEMENTED', // a flag or feature that is accepted but not built
  'E_INTERNAL', // a bug
  'E_IO', // local filesystem trouble
  'E_REF', // an image reference that does not parse
  'E_DOCKERFILE_PARSE', // a Dockerfile that does not parse
  'E_DOCKERFILE', // a Dockerfile that parses but cannot be built (unknown stage, bad arg …)
  'E_DOCKERIGNORE',
  'E_REGISTRY', // a registry answered with an error
  'E_REGISTRY_AUTH', // 401/403 or no usable credentials
  'E_REGISTRY_NETWORK', // the registry could not be reached
  'E_MANIFEST', // a manifest or config we cannot use
  'E_PLATFORM', // no manifest for the requested platform
  'E_DIGEST_MISMATCH', // bytes that do not match their digest or size
  'E_LAYER', // a layer that is malformed or unsafe
  'E_UNSAFE_PATH', // a tar entry or link that would escape the build root
  'E_RUN', // a RUN step failed
  'E_STEP', // another step failed
  'E_CONTEXT', // the build context
  'E_CACHE', // the /cache store or layer cache
  'E_LOCK', // a lock that could not be taken
  'E_PUSH', // a push failed
] as const;
export type ErrorCode = (typeof ErrorCodes)[number];

export interface KilnErrorOptions {
  cause?: unknown;
  hint?: string;
  /** The exit code main.ts should use (a failed RUN exits with the command's code). */
  exitCode?: number;
}

const KILN_ERROR = Symbol.for('kiln.error');

export class KilnError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;
  readonly exitCode?: number;
  readonly [KILN_ERROR] = true;

  constructor(code: ErrorCode, message: string, options: KilnErrorOptions = {}) {
    super(redact(message), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KilnError';
    this.code = code;
    if (options.hint !== undefined) this.hint = redact(options.hint);
    if (options.exitCode !== undefined) this.exitCode = options.exitCode;
  }
}

export function isKilnError(e: unknown): e is KilnError {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[KILN_ERROR] === true;
}

/** A distribution-spec error body entry. */
export interface RegistryDiagnostic {
  code: string;
  message?: string;
  detail?: unknown;
}

export interface RegistryErrorOptions extends KilnErrorOptions {
  status?: number;
  method?: string;
  url?: string;
  diagnostics?: RegistryDiagnostic[];
}

/** An error answer from a registry (ggcr transport.Error). The URL is stored redacted. */
export class RegistryError extends KilnError {
  readonly status?: number;
  readonly method?: string;
  readonly url?: string;
  readonly diagnostics: RegistryDiagnostic[];

  constructor(code: ErrorCode, message: string, options: RegistryErrorOptions = {}) {
    super(code, message, options);
    this.name = 'RegistryError';
    if (options.status !== undefined) this.status = options.status;
    if (options.method !== undefined) this.method = options.method;
    if (options.url !== undefined) this.url = redactUrl(options.url);
    this.diagnostics = options.diagnostics ?? [];
  }

  /** Worth retrying: 408, 429, 5xx, or no status at all (a reset connection). */
  get temporary(): boolean {
    const s = this.status;
    return s === undefined || s === 408 || s === 429 || (s >= 500 && s <= 599);
  }
}

export interface Location {
  file: string;
  /** 1-based first and last line. */
  start: number;
  end: number;
}

/** A Dockerfile error that names the file and line (BuildKit LocationError). */
export class DockerfileError extends KilnError {
  readonly loc: Location;
  constructor(code: ErrorCode, message: string, loc: Location, options: KilnErrorOptions = {}) {
    super(code, `${loc.file}:${loc.start}: ${message}`, options);
    this.name = 'DockerfileError';
    this.loc = loc;
  }
}

/** A bug in Kiln. */
export class InternalError extends KilnError {
  constructor(message: string, options: KilnErrorOptions = {}) {
    super('E_INTERNAL', message, {
      hint: 'this is a bug in Kiln; please file an issue with the command and this message',
      ...options,
    });
    this.name = 'InternalError';
  }
}

/** Remove userinfo from a URL string (ggcr redact.URL). Non-URLs pass through. */
export function redactUrl(url: string): string {
  return url.replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/gi, '$1***@');
}

const SECRET_PATTERNS: [RegExp, string][] = [
  [/(\b[a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/gi, '$1***@'], // URL userinfo
  [/(authorization\s*[:=]\s*)(basic|bearer)?\s*[^\s,;"']+/gi, '$1$2 ***'],
  [/(\b(?:password|passwd|token|secret|access_token|refresh_token|identitytoken)\b["']?\s*[:=]\s*["']?)[^\s,;"'&]+/gi, '$1***'],
  [/([?&](?:password|token|access_token|sig|signature|X-Amz-Signature|X-Amz-Credential)=)[^&\s]+/gi, '$1***'],
];

/** Redact credentials from any text meant for a log line or an error message (pnpm). */
export function redact(text: string): string {
  let out = text;
  for (const [re, rep] of SECRET_PATTERNS) out = out.replace(re, rep);
  return out;
}
