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
// logrus: the first four letters of the level, upper-cased; its colors (gray, blue, yellow, red).
const TAG: Record<Level, string> = { debug: 'DEBU', info: 'INFO', warn: 'WARN', error: 'ERRO' };
const COLOR: Record<Level, number> = { debug: 37, info: 36, warn: 33, error: 31 };
/** Field names whose values are never printed. */
const SECRET_KEY = /(password|passwd|secret|token|authorization|auth|credentials?|cookie|api[-_]?key|private[-_]?key)$/i;
/** Keys logrus's JSON formatter reserves; a field of that name becomes `fields.<name>`. */
const RESERVED = new Set(['level', 'msg', 'time']);

type Level = 'debug' | 'info' | 'warn' | 'error';

/** Whether a message at `level` shows under the minimum `min` (trace shows debug too). */
export function levelEnabled(level: LogLevel, min: LogLevel): boolean {
  return RANK[level] >= RANK[min];
}

export function createLogger(options: LoggerOptions): Logger {
  const now = options.now ?? Date.now;
  const start = now();
  const emit = (level: Level, msg: string, fields?: LogFields): void => {
    if (!levelEnabled(level, options.level)) return;
    const safe = redactFields(fields);
    options.write(formatLine({ level, msg: redact(msg), fields: safe, t: now(), start, options }) + '\n');
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
  };
}

/** Fields with undefined dropped, secret-named values masked and strings redacted. */
function redactFields(fields: LogFields | undefined): [string, string | number | boolean][] {
  const out: [string, string | number | boolean][] = [];
  for (const [k, v] of Object.entries(fields ?? {})) {
    if (v === undefined) continue;
    out.push([k, SECRET_KEY.test(k) ? '***' : typeof v === 'string' ? redact(v) : v]);
  }
  return out;
}

interface LineParts {
  level: Level;
  msg: string;
  fields: [string, string | number | boolean][];
  t: number;
  start: number;
  options: LoggerOptions;
}

function formatLine(p: LineParts): string {
  if (p.options.format === 'json') {
    const obj: Record<string, unknown> = {};
    for (const [k, v] of p.fields) obj[RESERVED.has(k) ? `fields.${k}` : k] = v;
    return JSON.stringify({ level: p.level, msg: p.msg, time: new Date(p.t).toISOString(), ...obj });
  }
  const color = p.options.format === 'color';
  const paint = (code: number, s: string): string => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const when = p.options.timestamp
    ? new Date(p.t).toISOString().replace(/\.\d+Z$/, 'Z')
    : String(Math.max(0, Math.floor((p.t - p.start) / 1000))).padStart(4, '0');
  const head = `${paint(COLOR[p.level], TAG[p.level])}[${when}] `;
  if (p.fields.length === 0) return head + p.msg;
  const tail = p.fields.map(([k, v]) => `${paint(COLOR[p.level], k)}=${quote(v)}`).join(' ');
  return `${head}${p.msg.padEnd(44)} ${tail}`;
}

/** logrus quotes a value only when it holds more than [A-Za-z0-9-._/@^+]. */
function quote(v: string | number | boolean): string {
  const s = String(v);
  return typeof v === 'string' && (s === '' || /[^\w\-./@^+]/.test(s)) ? JSON.stringify(s) : s;
}
