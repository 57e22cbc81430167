import { readFileSync, statSync, existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { inlineFiles } from './heredoc-copy.ts';

describe('inlineFiles', () => {
  it('writes each heredoc body as a 0644 file named after its heredoc, removed by dispose', async () => {
    const f = await inlineFiles([{ path: 'EOF', data: 'one\n', expand: true }, { path: 'conf', data: 'two\n', expand: false }]);
    expect(f.sources.map((s) => s.rel)).toEqual(['EOF', 'conf']);
    expect(readFileSync(f.sources[1]!.host, 'utf8')).toBe('two\n');
    expect(statSync(f.sources[0]!.host).mode & 0o777).toBe(0o644);
    await f.dispose();
    expect(existsSync(f.sources[0]!.host)).toBe(false);
  });

  it('refuses a heredoc name that is not a file name', async () => {
    await expect(inlineFiles([{ path: '../x', data: '', expand: true }])).rejects.toThrow(/cannot be used as a file name/);
  });
});
