// The final error of a run, as main.ts prints it: `error building image: <message>` and a
// `hint:` line, or one JSON line with --log-format json. Always redacted.
import { InternalError, isKilnError, redact } from '../errors.ts';
import type { LogFormat } from '../log.ts';

export interface FailureReport {
  /** What to write to stderr, ending in a newline. */
  readonly text: string;
  readonly exitCode: number;
}

export interface ReportOptions {
  format: LogFormat;
  /** `error building image` (executor), `failed warming cache` (warmer). */
  prefix: string;
  /** Add the stack of an unexpected (non-Kiln) error: at --verbosity debug or trace. */
  stack?: boolean;
  now?: () => number;
}

export function reportFailure(err: unknown, options: ReportOptions): FailureReport {
  const message = redact(`${options.prefix}: ${describe(err)}`);
  const hint = isKilnError(err) && err.hint !== undefined ? redact(err.hint) : undefined;
  const code = isKilnError(err) ? err.code : undefined;
  const stack = options.stack === true && !isKilnError(err) && err instanceof Error ? redact(err.stack ?? '') : undefined;
  const exitCode = exitCodeOf(err);
  if (options.format === 'json') {
    const time = new Date((options.now ?? Date.now)()).toISOString();
    const line = { level: 'error', msg: message, code, hint, exitCode, stack, time };
    return { text: JSON.stringify(line) + '\n', exitCode };
  }
  const red = options.format === 'color' ? (s: string) => `\x1b[31m${s}\x1b[0m` : (s: string) => s;
  const lines = [red(message), ...(hint !== undefined ? [`hint: ${hint}`] : []), ...(stack !== undefined ? [stack] : [])];
  return { text: lines.join('\n') + '\n', exitCode };
}

/** The error's own exit code when it has one (a failed RUN), else 1. */
export function exitCodeOf(err: unknown): number {
  if (isKilnError(err) && err.exitCode !== undefined && Number.isInteger(err.exitCode)) {
    return err.exitCode >= 1 && err.exitCode <= 255 ? err.exitCode : 1;
  }
  return 1;
}

/** The message, followed by the causes it does not already mention ("doing X: why"). */
function describe(err: unknown): string {
  let text = err instanceof Error ? err.message : String(err);
  let cause: unknown = err instanceof Error ? err.cause : undefined;
  for (let depth = 0; depth < 5 && cause !== undefined; depth++) {
    const m = cause instanceof Error ? cause.message : String(cause);
    if (m !== '' && !text.includes(m)) text += `: ${m}`;
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  return text;
}

/**
 * What main.ts prints when an error escapes every handler (an unhandled rejection or an
 * uncaught exception): always a bug, so it is reported as one with the original cause.
 */
export function reportCrash(err: unknown, options: ReportOptions): FailureReport {
  return reportFailure(new InternalError('an unexpected error stopped the program', { cause: err }), options);
}
