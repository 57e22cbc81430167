import { describe, expect, it } from 'vitest';
import { parseGoBool, parseGoDuration } from './go-values.ts';

describe('parseGoDuration (time.ParseDuration)', () => {
  it.each([
    ['336h', 336 * 3_600_000],
    ['1h30m', 5_400_000],
    ['1.5h', 5_400_000],
    ['.5s', 500],
    ['2m3s', 123_000],
    ['100ms', 100],
    ['1500us', 1.5],
    ['1µs', 0.001],
    ['10ns', 0.00001],
    ['0', 0],
    ['-1h', -3_600_000],
    ['+5m', 300_000],
  ])('%s', (text, ms) => {
    expect(parseGoDuration(text)).toBeCloseTo(ms, 9);
  });

  it.each(['', '1', 'h', '1d', '1h 30m', '1.h.5', '--1h', 'abc'])('rejects %j', (text) => {
    expect(parseGoDuration(text)).toBeUndefined();
  });
});

describe('parseGoBool (strconv.ParseBool)', () => {
  it('accepts exactly Go spellings', () => {
    for (const t of ['1', 't', 'T', 'TRUE', 'true', 'True']) expect(parseGoBool(t)).toBe(true);
    for (const f of ['0', 'f', 'F', 'FALSE', 'false', 'False']) expect(parseGoBool(f)).toBe(false);
    for (const bad of ['yes', 'no', 'tRUE', '', ' true']) expect(parseGoBool(bad)).toBeUndefined();
  });
});
