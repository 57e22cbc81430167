// Go's time.ParseDuration, for HEALTHCHECK intervals. Returns nanoseconds.

const UNITS: Record<string, number> = {
  ns: 1, us: 1e3, 'µs': 1e3, 'μs': 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9,
};

export function parseGoDuration(s: string): number {
  const bad = (): Error => new Error(`time: invalid duration "${s}"`);
  let rest = s;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest.startsWith('-')) sign = -1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') throw bad();
  let total = 0;
  while (rest !== '') {
    const m = /^(\d*)(?:\.(\d*))?/.exec(rest);
    const whole = m?.[1] ?? '';
    const frac = m?.[2];
    if (!m || (whole === '' && (frac === undefined || frac === ''))) throw bad();
    rest = rest.slice(m[0].length);
    const u = /^[^\d.]+/.exec(rest)?.[0];
    if (u === undefined) throw new Error(`time: missing unit in duration "${s}"`);
    const mult = UNITS[u];
    if (mult === undefined) throw new Error(`time: unknown unit "${u}" in duration "${s}"`);
    rest = rest.slice(u.length);
    total += Number(`${whole || '0'}.${frac ?? '0'}`) * mult;
  }
  return sign * Math.round(total);
}
