import { existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, onTestFinished, test } from 'vitest';
import { sweepOrphans } from './sweep.ts';

test('removes environments whose processes are gone and old unfinished ones, keeps the rest', () => {
  const parent = mkdtempSync(join(tmpdir(), 'kiln-sweep-'));
  onTestFinished(() => rmSync(parent, { recursive: true, force: true }));
  const make = (name: string, owner?: number): string => {
    const dir = join(parent, name);
    mkdirSync(dir);
    if (owner !== undefined) writeFileSync(join(dir, 'testenv.json'), JSON.stringify({ pids: { owner, registries: [] } }));
    return dir;
  };
  const dead = make('kiln-testenv-dead', 2 ** 22 + 12345); // above pid_max's default: no such process
  const live = make('kiln-testenv-live', process.pid);
  const young = make('kiln-testenv-young');
  const old = make('kiln-testenv-old');
  utimesSync(old, new Date(0), new Date(0));
  const other = make('something-else', 2 ** 22 + 12345);
  expect(sweepOrphans(parent).sort()).toEqual([dead, old].sort());
  expect([live, young, other].every((d) => existsSync(d))).toBe(true);
});

