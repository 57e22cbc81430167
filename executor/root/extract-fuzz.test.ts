// Random hostile layers: names and link targets drawn from "..", absolute host paths, links to
// "/" and whiteouts, applied in sequence. Whatever happens inside the root, nothing outside it
// changes and every failure is a KilnError with a known code.
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, onTestFinished, test } from 'vitest';
import { isKilnError } from '../../shared/errors.ts';
import type { TarEntryType } from '../layer/tar-header.ts';
import { tarHeader, tarReadable, type PackEntry } from '../layer/tar-pack.ts';
import { extractLayer } from './extract-layer.ts';
import { IgnoreList } from './ignore-list.ts';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test('random hostile layers never touch anything outside the root', async () => {
  const outer = mkdtempSync(join(tmpdir(), 'kiln-fuzz-'));
  onTestFinished(() => rmSync(outer, { recursive: true, force: true }));
  const canary = join(outer, 'canary');
  const canaryDir = join(outer, 'cdir');
  const fresh = (): void => {
    writeFileSync(canary, 'canary', { mode: 0o600 });
    utimesSync(canary, 1_000_000, 1_000_000);
    mkdirSync(canaryDir, { mode: 0o700 });
    writeFileSync(join(canaryDir, 'x'), 'x');
    utimesSync(canaryDir, 1_000_000, 1_000_000);
  };
  fresh();
  const parts = ['a', 'b', 'c', 'a', 'b', 'c', '.', '', 'l', 'l', 'kaniko', outer.slice(1), 'cdir', 'canary', 'x'];
  const targets = ['/', '..', '../..', '../../../..', outer, canary, canaryDir, 'a', 'b/c', '/a/../..', 'l/l', '/kaniko', '.'];
  const types: TarEntryType[] = ['file', 'file', 'directory', 'symlink', 'symlink', 'link'];
  const codes = new Set(['E_UNSAFE_PATH', 'E_LAYER', 'E_IO']);
  let failures = 0;
  let applied = 0;
  for (let round = 0; round < 40; round++) {
    const r = rng(round + 1);
    const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)] as T;
    const root = join(outer, 'root');
    mkdirSync(join(root, 'kaniko'), { recursive: true });
    for (let layer = 0; layer < 4; layer++) {
      const entries: PackEntry[] = [];
      for (let i = 0; i < 12; i++) {
        const depth = 1 + Math.floor(r() * 3);
        let name = Array.from({ length: depth }, () => (r() < 0.03 ? '..' : pick(parts))).join('/');
        if (r() < 0.15) name = `${name}/${pick(['.wh.a', '.wh.l', '.wh..wh..opq', '.wh.a', '.wh.l', '.wh..wh..opq', '.wh..', '.wh.canary', '.wh.cdir'])}`;
        if (r() < 0.2) name = '/' + name;
        const type = name.includes('.wh.') ? 'file' : pick(types);
        const header = tarHeader({ name, type, linkname: type === 'symlink' || type === 'link' ? pick(targets) : '', mode: pick([0o777, 0o4755, 0o644, 0]), uid: pick([0, 1, 65534]), mtime: 42, size: type === 'file' && !name.includes('.wh.') ? 5 : 0 });
        entries.push(type === 'file' && header.size > 0 ? { header, body: Buffer.from('pwned') } : { header });
      }
      const apply = async (es: PackEntry[], name: string): Promise<boolean> => {
        try {
          await extractLayer(tarReadable(es), { root, mode: 'host', layerName: name, ignore: new IgnoreList(['/kaniko', '/proc']) });
          return true;
        } catch (e) {
          if (!isKilnError(e) || !codes.has(e.code)) throw e;
          return false;
        }
      };
      if (!(await apply(entries, `fuzz-${round}-${layer}`))) {
        failures++;
        // Refused as a whole: apply entry by entry, so the rest still shapes the tree.
        for (const [i, e] of entries.entries()) if (await apply([e], `fuzz-${round}-${layer}-${i}`)) applied++;
      } else applied += entries.length;
      expect(readdirSync(outer).sort()).toEqual(['canary', 'cdir', 'root']);
      const st = lstatSync(canary);
      expect([readFileSync(canary, 'utf8'), st.mode & 0o7777, st.nlink, st.uid, st.mtimeMs]).toEqual(['canary', 0o600, 1, 0, 1_000_000_000]);
      const d = lstatSync(canaryDir);
      expect([readdirSync(canaryDir), d.mode & 0o7777, d.uid, d.mtimeMs]).toEqual([['x'], 0o700, 0, 1_000_000_000]);
      expect(readdirSync(join(root, 'kaniko'))).toEqual([]);
    }
    rmSync(root, { recursive: true, force: true });
  }
  expect(failures).toBeGreaterThan(0); // the generator does produce refused layers
  expect(applied).toBeGreaterThan(800); // and most entries land
});
