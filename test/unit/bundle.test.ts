// The two bundles, built in memory with the real build settings: the warmer carries none of the
// executor's modules (shared/ never imports executor/), and the version is stamped in.
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { build } from 'esbuild';
import { bundleInputs, bundleOptions, buildBundles, readVersion } from '../../scripts/build.ts';

describe('bundles', () => {
  it('keeps executor modules out of the warmer bundle', async () => {
    const metas = await buildBundles({ outdir: path.join(os.tmpdir(), 'kiln-bundle-test'), version: 'test', write: false });
    const warmer = bundleInputs(metas.warmer);
    const executor = bundleInputs(metas.executor);
    expect(warmer).toContain('warmer/main.ts');
    expect(executor).toContain('executor/main.ts');
    expect(warmer.filter((f) => f.startsWith('executor/'))).toEqual([]);
    expect(executor.filter((f) => f.startsWith('warmer/'))).toEqual([]);
    // Both need the shared command-line code; only the executor has its build.
    expect(warmer).toContain('shared/cli/flags.ts');
    expect(executor).toContain('executor/build.ts');
  }, 60_000);

  it('stamps the version and defines require for ESM', async () => {
    const result = await build({ ...bundleOptions('warmer', { outdir: path.join(os.tmpdir(), 'kiln-bundle-test'), version: '9.9.9+test' }), write: false });
    const text = result.outputFiles?.[0]?.text ?? '';
    expect(text.startsWith('#!/usr/bin/env node\n')).toBe(true);
    expect(text).toContain('createRequire as __kilnCreateRequire');
    expect(text).toContain('"9.9.9+test"');
    expect(text).not.toContain('KILN_VERSION');
  }, 60_000);

  it("reads package.json's version", () => {
    expect(readVersion()).toMatch(/^\d+\.\d+\.\d+(-[\w.]+)?(\+[0-9a-f]+)?$/);
  });
});
