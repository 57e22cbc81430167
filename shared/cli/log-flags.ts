// --verbosity, --log-format, --log-timestamp: the same three flags on both binaries.
import { type LogFormat, LogFormats, type LogLevel, LogLevels } from '../log.ts';
import type { FlagSpec, ParsedFlags } from './flags.ts';
import { readChoice } from './values.ts';

export interface LogOptions {
  readonly format: LogFormat;
  readonly level: LogLevel;
  /** Full timestamps instead of seconds since start. */
  readonly timestamp: boolean;
}

const G = 'Logging:';

export const logFlagSpecs: readonly FlagSpec[] = [
  { name: 'verbosity', short: 'v', kind: 'string', default: 'info', choices: LogLevels, group: G, describe: 'Log level' },
  { name: 'log-format', kind: 'string', choices: LogFormats, group: G, describe: 'Log format (default: color on a terminal, text otherwise)' },
  { name: 'log-timestamp', kind: 'boolean', group: G, describe: 'Print full timestamps in log lines' },
];

/** kaniko's default format is color; Kiln uses it only when stderr is a terminal. */
export function logOptionsFromFlags(flags: ParsedFlags, context: { stderrIsTTY?: boolean }): LogOptions {
  const fallback: LogFormat = context.stderrIsTTY === true ? 'color' : 'text';
  return {
    format: flags.given.has('log-format') ? readChoice(flags, 'log-format', LogFormats) : fallback,
    level: readChoice(flags, 'verbosity', LogLevels),
    timestamp: flags.boolean('log-timestamp'),
  };
}

/**
 * The log format for a message printed before the flags could be parsed (a usage error): a
 * best-effort look at argv, so `--log-format=json` still gets a JSON error line.
 */
export function sniffLogFormat(argv: readonly string[]): LogFormat {
  for (let i = argv.length - 1; i >= 0; i--) {
    const a = argv[i];
    if (a === '--log-format=json' || (a === '--log-format' && argv[i + 1] === 'json')) return 'json';
    if (a?.startsWith('--log-format')) return 'text';
  }
  return 'text';
}
