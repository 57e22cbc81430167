// Registries never outlive their owner: stop() ends the whole process group, and when the
// owner is killed with SIGKILL (no teardown at all) the watchdog stops the registry.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect, onTestFinished, test } from 'vitest';
import { isAlive, probe } from '../../scripts/testenv/service.ts';
import { startRegistry } from '../helpers/testenv.ts';

async function gone(check: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await sleep(100);
  }
  return false;
}

test('stop() ends the registry process group and removes its dir', async () => {
  const reg = await startRegistry();
  expect(await probe(`${reg.url}/v2/`)).toBe(200);
  await reg.stop();
  expect(isAlive(reg.pgid)).toBe(false);
  expect(await probe(`${reg.url}/v2/`)).toBeUndefined();
  expect(existsSync(reg.dir)).toBe(false);
});

test('a registry dies with its owner even when the owner is killed with SIGKILL', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kiln-owner-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const script = join(dir, 'owner.mts');
  const registryTs = resolve(import.meta.dirname, '../../scripts/testenv/registry.ts');
  writeFileSync(
    script,
    `import { startRegistry } from ${JSON.stringify(registryTs)};\n` +
      `const reg = await startRegistry({ parentDir: ${JSON.stringify(dir)} });\n` +
      `process.stdout.write(JSON.stringify({ url: reg.url, pgid: reg.pgid }) + '\\n');\n` +
      'setInterval(() => {}, 1000);\n',
  );
  const owner = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  onTestFinished(() => {
    owner.kill('SIGKILL');
  });
  const line = await new Promise<string>((res, rej) => {
    owner.stdout.once('data', (d: Buffer) => res(d.toString()));
    owner.once('exit', (code) => rej(new Error(`owner exited with ${code}`)));
  });
  const { url, pgid } = JSON.parse(line) as { url: string; pgid: number };
  expect(await probe(`${url}/v2/`)).toBe(200);
  owner.kill('SIGKILL');
  expect(await gone(async () => !isAlive(pgid) && (await probe(`${url}/v2/`)) === undefined, 10_000)).toBe(true);
});
