import { describe, expect, it } from 'vitest';
import { dockerignoreMatcher } from './dockerignore.ts';

describe('.dockerignore (moby/patternmatcher semantics)', () => {
  const m = dockerignoreMatcher('# comment\n*.log\n!keep.log\n**/node_modules\n/build\ndocs/*.md\n !docs/README.md\n');
  it.each([
    ['a.log', true], ['keep.log', false], ['sub/a.log', false], ['node_modules/x/y.js', true], ['src/node_modules', true],
    ['src/node_modules/z', true], ['build/out', true], ['src/build', false], ['docs/a.md', true], ['docs/README.md', false],
    ['docs/sub/a.md', false], ['# comment', false], ['main.go', false],
  ])('%s → %s', (path, want) => {
    expect(m(path)).toBe(want);
  });

  it('?, character classes and a parent directory match', () => {
    const m2 = dockerignoreMatcher('file?.txt\n[ab].c\ntmp\n');
    expect([m2('file1.txt'), m2('file10.txt'), m2('a.c'), m2('c.c'), m2('tmp/deep/x')]).toEqual([true, false, true, false, true]);
  });
});
