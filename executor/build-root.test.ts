import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { inContainer, targetWorkspace } from './build-root.ts';

function testdir(): string {
  const d = mkdtempSync(join(tmpdir(), 'kiln-root-'));
  onTestFinished(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

describe('choosing the build root', () => {
  it('refuses "/" outside the executor image (a container with its kaniko dir) unless --force, without touching anything', async () => {
    const never = (): boolean => false;
    await expect(targetWorkspace({ dir: '/', force: false, kanikoDir: '/kaniko' }, never)).rejects.toMatchObject({ code: 'E_USAGE' });
    // A container without Kiln's own directory (a CI job with /.dockerenv) is refused too.
    await expect(targetWorkspace({ dir: '/', force: false, kanikoDir: join(testdir(), 'missing') }, () => true)).rejects.toMatchObject({ code: 'E_USAGE' });
    const ws = await targetWorkspace({ dir: '/', force: false, kanikoDir: testdir() }, () => true);
    expect(ws).toMatchObject({ root: '/', mode: 'container' });
  });

  it('a directory root is created 0755 and must be empty', async () => {
    const d = testdir();
    const ws = await targetWorkspace({ dir: join(d, 'new'), force: false, kanikoDir: '/kaniko' });
    expect(ws.mode).toBe('host');
    expect(statSync(join(d, 'new')).mode & 0o777).toBe(0o755);
    mkdirSync(join(d, 'full'));
    writeFileSync(join(d, 'full', 'x'), '');
    await expect(targetWorkspace({ dir: join(d, 'full'), force: false, kanikoDir: '/kaniko' })).rejects.toThrow(/not empty/);
  });

  it('container detection looks at the environment', () => {
    expect(inContainer({ KUBERNETES_SERVICE_HOST: '10.0.0.1' })).toBe(true);
  });
});
