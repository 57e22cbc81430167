import { describe, expect, it } from 'vitest';
import { type LoggerOptions, createLogger, levelEnabled, silentLogger } from './log.ts';

const T0 = Date.UTC(2026, 10, 27, 14, 0, 0);

/** A logger writing into an array, with a clock the test moves. */
function capture(options: Partial<LoggerOptions> = {}) {
  const lines: string[] = [];
  let t = T0;
  const logger = createLogger({
    format: 'text',
    level: 'info',
    timestamp: false,
    write: (l) => lines.push(l),
    now: () => t,
    ...options,
  });
  return { logger, lines, advance: (ms: number) => (t += ms) };
}

describe('text format (kaniko / logrus shape)', () => {
  it('prints LEVEL[seconds since start] message', () => {
    const { logger, lines, advance } = capture({ level: 'debug' });
    logger.info('Retrieving image manifest busybox');
    advance(3_400);
    logger.warn('careful');
    advance(10_000);
    logger.error('broken');
    logger.debug('details');
    expect(lines).toEqual([
      'INFO[0000] Retrieving image manifest busybox\n',
      'WARN[0003] careful\n',
      'ERRO[0013] broken\n',
      'DEBU[0013] details\n',
    ]);
  });

  it('prints full UTC timestamps with --log-timestamp', () => {
    const { logger, lines } = capture({ timestamp: true });
    logger.info('hello');
    expect(lines).toEqual(['INFO[2026-11-27T14:00:00Z] hello\n']);
  });

  it('pads the message before fields and quotes values only when needed', () => {
    const { logger, lines } = capture();
    logger.info('Pushed', { ref: 'localhost:5000/a/b@sha256:ab', size: 42, cached: false, note: 'two words', empty: '', skipped: undefined });
    expect(lines).toEqual([`INFO[0000] ${'Pushed'.padEnd(44)} ref=\"localhost:5000/a/b@sha256:ab\" size=42 cached=false note="two words" empty=""\n`]);
  });
});

describe('color format', () => {
  it('colors the level tag (and field names) as logrus does', () => {
    const { logger, lines } = capture({ format: 'color', level: 'debug' });
    logger.info('i');
    logger.warn('w', { k: 'v' });
    logger.error('e');
    logger.debug('d');
    expect(lines[0]).toBe('\x1b[36mINFO\x1b[0m[0000] i\n');
    expect(lines[1]).toBe(`\x1b[33mWARN\x1b[0m[0000] ${'w'.padEnd(44)} \x1b[33mk\x1b[0m=v\n`);
    expect(lines[2]).toBe('\x1b[31mERRO\x1b[0m[0000] e\n');
    expect(lines[3]).toBe('\x1b[37mDEBU\x1b[0m[0000] d\n');
  });
});

describe('json format', () => {
  it('writes one object per line with level, msg, time and fields', () => {
    const { logger, lines } = capture({ format: 'json' });
    logger.info('Built', { digest: 'sha256:00', layers: 3, msg: 'clash' });
    expect(lines).toHaveLength(1);
    expect(lines[0]?.endsWith('\n')).toBe(true);
    expect(JSON.parse(lines[0] as string)).toEqual({
      level: 'info',
      msg: 'Built',
      time: '2026-11-27T14:00:00.000Z',
      digest: 'sha256:00',
      layers: 3,
      'fields.msg': 'clash',
    });
  });
});

describe('level filtering', () => {
  it.each([
    ['trace', ['debug', 'info', 'warn', 'error']],
    ['debug', ['debug', 'info', 'warn', 'error']],
    ['info', ['info', 'warn', 'error']],
    ['warn', ['warn', 'error']],
    ['error', ['error']],
    ['fatal', []],
    ['panic', []],
  ] as const)('--verbosity %s shows %j', (level, shown) => {
    const { logger, lines } = capture({ level, format: 'json' });
    logger.debug('debug');
    logger.info('info');
    logger.warn('warn');
    logger.error('error');
    expect(lines.map((l) => JSON.parse(l).level)).toEqual(shown);
  });

  it('levelEnabled compares ranks', () => {
    expect(levelEnabled('debug', 'trace')).toBe(true);
    expect(levelEnabled('debug', 'info')).toBe(false);
    expect(levelEnabled('error', 'error')).toBe(true);
  });
});

describe('redaction', () => {
  it('redacts credentials in messages, in every format', () => {
    for (const format of ['text', 'color', 'json'] as const) {
      const { logger, lines } = capture({ format });
      logger.info('GET https://bob:s3cret@registry.local/v2/ with Authorization: Bearer eyJhbGciOi.payload');
      logger.warn('retrying ?token=abcdef&x=1 after password=hunter2');
      const out = lines.join('');
      for (const secret of ['s3cret', 'eyJhbGciOi', 'abcdef', 'hunter2']) expect(out, `${format} ${secret}`).not.toContain(secret);
      expect(out).toContain('registry.local/v2/');
    }
  });

  it('masks fields named like secrets and redacts string field values', () => {
    for (const format of ['text', 'json'] as const) {
      const { logger, lines } = capture({ format });
      logger.info('auth', { password: 'hunter2', registryToken: 'tok-123', Authorization: 'Basic Ym9iOnB3', url: 'https://u:p4ss@h/x', author: 'me' });
      const out = lines.join('');
      for (const secret of ['hunter2', 'tok-123', 'Ym9iOnB3', 'p4ss']) expect(out, `${format} ${secret}`).not.toContain(secret);
      expect(out).toContain('me');
    }
  });
});

describe('silentLogger', () => {
  it('accepts every call and prints nothing', () => {
    expect(() => {
      silentLogger.debug('x');
      silentLogger.info('x', { a: 1 });
      silentLogger.warn('x');
      silentLogger.error('x');
    }).not.toThrow();
  });
});
