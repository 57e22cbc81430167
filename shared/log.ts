// Logging (STYLE.md §5): code in shared/ receives a Logger and logs nothing by default.
// Only main.ts picks the format and level. Lines look like kaniko's: `INFO[0003] RUN apt-get …`.
import { redact } from './errors.ts';

export const LogLevels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'panic'] as const;
export type LogLevel = (typeof LogLevels)[number];
export const LogFormats = ['text', 'color', 'json'] as const;
export type LogFormat = (typeof LogFormats)[number];

export type LogFields = Record<string, string | number | boolean | undefined>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

const noop = (): void => {};
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };

export interface LoggerOptions {
  format: LogFormat;
  level: LogLevel;
  /** Print a full timestamp instead of seconds since start (kaniko --log-timestamp). */
  timestamp: boolean;
  write: (line: string) => void;
  /** Injected clock (ms since epoch). */
  now?: () => number;
}

const RANK: Record<LogLevel, number> = { trace: 0, debug: 1, info: 2, warn: 3, error: 4, fatal: 5, panic: 6 };
const TAG: Record<string, string> = { debug: 'DEBU', info: 'INFO', warn: 'WARN', error: 'ERRO' };
const COLOR: Record<string, number> = { debug: 37, info: 36, warn: 33, error: 31 };

type Level = 'debug' | 'info' | 'warn' | 'error';

export function createLogger(options: LoggerOptions): Logger {
  const now = options.now ?? Date.now;
  const start = now();
  const min = RANK[options.level];
  const emit = (level: Level, msg: string, fields?: LogFields): void => {
    if (RANK[level] < min) return;
    options.write(formatLine({ level, msg: redact(msg), fields, t: now(), start, options }) + '\n');
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}

interface LineParts {
  level: Level;
  msg: string;
  fields: LogFields | undefined;
  t: number;
  start: number;
  options: LoggerOptions;
}

function formatLine(p: LineParts): string {
  const fields = Object.entries(p.fields ?? {}).filter(([, v]) => v !== undefined);
  if (p.options.format === 'json') {
    const obj: Record<string, unknown> = { level: p.level, msg: p.msg, time: new Date(p.t).toISOString() };
    for (const [k, v] of fields) obj[k] = typeof v === 'string' ? redact(v) : v;
    return JSON.stringify(obj);
  }
  const when = p.options.timestamp
    ? new Date(p.t).toISOString().replace(/\.\d+Z$/, 'Z')
    : String(Math.floor((p.t - p.start) / 1000)).padStart(4, '0');
  const tail = fields.map(([k, v]) => ` ${k}=${typeof v === 'string' ? JSON.stringify(redact(v)) : String(v)}`).join('');
  const tag = TAG[p.level] ?? 'INFO';
  const head = p.options.format === 'color' ? `\x1b[${COLOR[p.level]}m${tag}\x1b[0m` : tag;
  return `${head}[${when}] ${p.msg}${tail}`;
}
