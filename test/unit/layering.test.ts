// House rules that keep the two bundles apart (STYLE.md §1, §5): these fail when a change
// breaks the one-way dependency or logs from library code.
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })) {
    if (e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) {
      out.push(relative(ROOT, join(e.parentPath, e.name)));
    }
  }
  return out;
}

function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1] ?? '');
}

describe('module layering', () => {
  it('shared/ never imports executor/ or warmer/', () => {
    const bad = sources('shared').flatMap((f) =>
      importsOf(f).filter((s) => /(^|\/)(executor|warmer)\//.test(s)).map((s) => `${f} → ${s}`),
    );
    expect(bad).toEqual([]);
  });

  it('warmer/ never imports executor/', () => {
    const bad = sources('warmer').flatMap((f) =>
      importsOf(f).filter((s) => /(^|\/)executor\//.test(s)).map((s) => `${f} → ${s}`),
    );
    expect(bad).toEqual([]);
  });

  it('shared/image depends only on digest and errors within shared/', () => {
    const allowed = new Set(['../digest.ts', '../errors.ts']);
    const bad = sources('shared/image').flatMap((f) =>
      importsOf(f)
        .filter((s) => s.startsWith('../') && !allowed.has(s))
        .map((s) => `${f} → ${s}`),
    );
    expect(bad).toEqual([]);
  });

  it('no console.* outside main.ts and log.ts', () => {
    const files = [...sources('shared'), ...sources('executor'), ...sources('warmer')].filter(
      (f) => !/(^|\/)(main|log)\.ts$/.test(f),
    );
    const bad = files.filter((f) => /\bconsole\.(log|error|warn|info|debug)\b/.test(readFileSync(join(ROOT, f), 'utf8')));
    expect(bad).toEqual([]);
  });
});
