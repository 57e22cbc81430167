import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createDockerignore, loadDockerignore, parseDockerignore } from './dockerignore.ts';

interface Case {
  name: string;
  lines: string[];
  checks: { path: string; expected: string }[];
}

function loadCases(file: string): Case[] {
  const text = readFileSync(new URL(`../../test/fixtures/dockerignore/${file}`, import.meta.url), 'utf8');
  const cases: Case[] = [];
  let current: Case | undefined;
  let inPatterns = false;
  for (const line of text.split('\n')) {
    if (line.startsWith('=== ')) {
      current = { name: line.slice(4), lines: [], checks: [] };
      cases.push(current);
      inPatterns = true;
    } else if (current && inPatterns && line === '---') inPatterns = false;
    else if (current && inPatterns) current.lines.push(line);
    else if (current && line !== '') {
      const i = line.lastIndexOf(' | ');
      current.checks.push({ path: line.slice(0, i), expected: line.slice(i + 3) });
    }
  }
  return cases;
}

function testdir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'kiln-dockerignore-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe.each(['cases.txt', 'fuzz.txt'])('dockerignore golden table %s (from moby/patternmatcher)', (file) => {
  const cases = loadCases(file);
  it('has cases', () => expect(cases.length).toBeGreaterThan(20));
  for (const c of cases) {
    it(c.name, () => {
      const build = (): ReturnType<typeof createDockerignore> => createDockerignore(parseDockerignore(c.lines.join('\n')));
      for (const check of c.checks) {
        if (check.path === 'error') {
          expect(build).toThrow(check.expected);
          continue;
        }
        if (check.expected === 'error') {
          expect(() => build().matches(check.path)).toThrow('syntax error in pattern');
          continue;
        }
        expect({ path: check.path, excluded: build().matches(check.path) }).toEqual({
          path: check.path,
          excluded: check.expected === 'true',
        });
      }
    });
  }
});

describe('parseDockerignore', () => {
  it('reads lines as docker does', () => {
    expect(parseDockerignore('\uFEFF# c\n /a/ \r\n!  ./b/../c\n\n  #x\n')).toEqual(['a', '!c', '#x']);
  });
});

describe('canSkipDir', () => {
  it('skips an excluded directory when no exception reaches inside', () => {
    const m = createDockerignore(['node_modules', '*.log', '!important.log']);
    expect(m.canSkipDir('node_modules')).toBe(true);
    expect(m.canSkipDir('src')).toBe(false);
  });
  it('does not skip when an exception names something inside', () => {
    const m = createDockerignore(['dir', '!dir/keep']);
    expect(m.canSkipDir('dir')).toBe(false);
    expect(m.matches('dir/other')).toBe(true);
    expect(m.matches('dir/keep')).toBe(false);
  });
  it('does not skip when an exception uses ** (it could match anywhere)', () => {
    const m = createDockerignore(['*', '!**/*.go']);
    expect(m.canSkipDir('vendor')).toBe(false);
    expect(m.matches('vendor/a.go')).toBe(false);
  });
  it('skips when the exception is in another directory', () => {
    const m = createDockerignore(['*', '!src/*.go']);
    expect(m.canSkipDir('vendor')).toBe(true);
    expect(m.canSkipDir('src')).toBe(false);
  });
  it('agrees with matches for every path below a skippable dir', () => {
    const m = createDockerignore(['a', '!a', 'a/b', '!x/y/z']);
    for (const p of ['a/b', 'a/b/c', 'a/b/c/d']) if (m.canSkipDir('a/b')) expect(m.matches(p)).toBe(true);
  });
});

describe('loadDockerignore', () => {
  it('prefers <Dockerfile>.dockerignore beside the Dockerfile', async () => {
    const ctx = testdir();
    mkdirSync(path.join(ctx, 'build'));
    writeFileSync(path.join(ctx, '.dockerignore'), 'from-context\n');
    writeFileSync(path.join(ctx, 'build', 'app.Dockerfile.dockerignore'), 'from-dockerfile\n');
    const m = await loadDockerignore(ctx, 'build/app.Dockerfile');
    expect(m.source).toBe(path.join(ctx, 'build', 'app.Dockerfile.dockerignore'));
    expect(m.matches('from-dockerfile')).toBe(true);
    expect(m.matches('from-context')).toBe(false);
  });
  it('falls back to the context .dockerignore, then to nothing', async () => {
    const ctx = testdir();
    expect((await loadDockerignore(ctx, 'Dockerfile')).patterns).toEqual([]);
    writeFileSync(path.join(ctx, '.dockerignore'), '**/*.tmp\n');
    const m = await loadDockerignore(ctx, path.join(ctx, 'Dockerfile'));
    expect(m.source).toBe(path.join(ctx, '.dockerignore'));
    expect(m.matches('a/b.tmp', { isDir: false })).toBe(true);
  });
  it('reports a bad pattern with the file name', async () => {
    const ctx = testdir();
    writeFileSync(path.join(ctx, '.dockerignore'), '[a-\n');
    await expect(loadDockerignore(ctx)).rejects.toMatchObject({ code: 'E_DOCKERIGNORE' });
  });
});
