// Benchmarks for the filesystem side of the executor (issue 5): layer extraction vs GNU tar,
// the snapshot walk vs find(1), and layer writing (tar + gzip) vs `tar | gzip`.
// Writes its section of test/bench/RESULTS.md between its own markers.
import { measuredOn, writeResultsSection } from './results.ts';
import { execFileSync, execSync } from 'node:child_process';
import { createReadStream, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { tarHeader, tarReadable } from '../../executor/layer/tar-pack.ts';
import { writeLayer } from '../../executor/layer/write-layer.ts';
import { extractLayer } from '../../executor/root/extract-layer.ts';
import { IgnoreList } from '../../executor/root/ignore-list.ts';
import { takeSnapshot } from '../../executor/root/snapshot.ts';

const RUNS = 3;

interface Row { what: string; kiln: string; reference: string; note: string }

/** Fallback: a tree shaped like a distro layer: many small files, some text, a few large binaries. */
function makeTree(dir: string): { files: number; bytes: number } {
  let seed = 42;
  const rnd = (): number => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const text = Buffer.from('the quick brown fox jumps over the lazy dog; '.repeat(2000));
  let files = 0;
  let bytes = 0;
  for (let d = 0; d < 120; d++) {
    const sub = join(dir, `usr/lib/pkg${d % 20}/mod${d}`);
    mkdirSync(sub, { recursive: true });
    for (let f = 0; f < 75; f++) {
      const size = Math.floor(rnd() * rnd() * 64 * 1024);
      const buf = Buffer.allocUnsafe(size);
      if (f % 2 === 0) for (let i = 0; i < size; i++) buf[i] = (rnd() * 256) | 0;
      else text.copy(buf, 0, 0, Math.min(size, text.length));
      writeFileSync(join(sub, `file${f}.so`), buf);
      files++;
      bytes += size;
    }
  }
  mkdirSync(join(dir, 'opt/big'), { recursive: true });
  for (let i = 0; i < 2; i++) {
    const big = Buffer.allocUnsafe(24 * 1024 * 1024);
    for (let j = 0; j < big.length; j += 4) big.writeUInt32LE(j % 7 === 0 ? (rnd() * 2 ** 32) >>> 0 : j & 0xffff, j);
    writeFileSync(join(dir, `opt/big/blob${i}`), big);
    files++;
    bytes += big.length;
  }
  return { files, bytes };
}

/** Real files when this machine has them (Debian: headers, Perl modules, GCC's binaries). */
function realTree(dir: string): { files: number; bytes: number } | undefined {
  const sources = ['/usr/include', '/usr/share/perl', '/usr/lib/gcc'].filter((p) => existsSync(p));
  if (sources.length === 0) return undefined;
  execSync(`tar -cf - -C / ${sources.map((p) => p.slice(1)).join(' ')} | tar -xpf - -C ${dir}`);
  const files = Number(execSync(`find ${dir} -type f | wc -l`, { encoding: 'utf8' }).trim());
  const bytes = Number(execSync(`du -sb ${dir}`, { encoding: 'utf8' }).split('\t')[0]);
  return { files, bytes };
}

function time(fn: () => void): number {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

async function timeAsync(fn: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

const mbs = (bytes: number, s: number): string => `${(bytes / 1e6 / s).toFixed(0)} MB/s (${s.toFixed(2)} s)`;

interface Ctx { work: string; src: string; tar: string; tarBytes: number; files: number; ignore: IgnoreList }

async function extractRow(c: Ctx): Promise<Row> {
  const kiln: number[] = [];
  const gnu: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const a = join(c.work, `x-kiln-${i}`);
    const b = join(c.work, `x-gnu-${i}`);
    mkdirSync(a);
    mkdirSync(b);
    // Flush dirty pages before each timed run and alternate the order, so neither tool pays for
    // the other's writeback.
    const runKiln = async (): Promise<void> => {
      execFileSync('sync');
      kiln.push(await timeAsync(() => extractLayer(createReadStream(c.tar, { highWaterMark: 1 << 20 }), { root: a, ignore: c.ignore, mode: 'host', layerName: 'bench', xattrOps: null })));
    };
    const runGnu = (): void => {
      execFileSync('sync');
      gnu.push(time(() => execFileSync('tar', ['--numeric-owner', '-xpf', c.tar, '-C', b])));
    };
    if (i % 2 === 0) {
      await runKiln();
      runGnu();
    } else {
      runGnu();
      await runKiln();
    }
    rmSync(b, { recursive: true, force: true });
    rmSync(a, { recursive: true, force: true });
  }
  return { what: `extract ${c.files} files, ${(c.tarBytes / 1e6).toFixed(0)} MB tar`, kiln: mbs(c.tarBytes, median(kiln)), reference: `GNU tar -xpf: ${mbs(c.tarBytes, median(gnu))}`, note: 'from page cache, `sync` before each run, order alternated' };
}

function walkRow(c: Ctx): Row {
  const root = c.src;
  const entries = takeSnapshot(root, c.ignore).entries.size;
  const walk = median(Array.from({ length: RUNS }, () => time(() => takeSnapshot(root, c.ignore))));
  const find = median(Array.from({ length: RUNS }, () => time(() => execSync(`find ${root} -printf '%m %U %G %s %T@ %C@ %i %l\\n' > /dev/null`))));
  const findNames = median(Array.from({ length: RUNS }, () => time(() => execSync(`find ${root} > /dev/null`))));
  const eps = (n: number, s: number): string => `${(n / s / 1000).toFixed(0)}k entries/s (${(s * 1000).toFixed(0)} ms)`;
  return { what: `snapshot walk, ${entries} entries`, kiln: eps(entries, walk), reference: `find -printf (lstat): ${eps(entries, find)}; find (names): ${eps(entries, findNames)}`, note: 'readdirSync(withFileTypes) + lstatSync' };
}

async function writeRows(c: Ctx): Promise<Row[]> {
  const rows: Row[] = [];
  const paths = [...takeSnapshot(c.src, c.ignore).entries.keys()];
  const kilnTimes = async (out: string, compression: 'gzip' | 'none', level?: number): Promise<number> => {
    const ts: number[] = [];
    for (let i = 0; i < RUNS; i++) ts.push(await timeAsync(() => writeLayer({ root: c.src, paths, out, compression, level })));
    return median(ts);
  };
  for (const level of [1, 6]) {
    const out = join(c.work, `l${level}.tar.gz`);
    const k = await kilnTimes(out, 'gzip', level);
    const g = median(Array.from({ length: RUNS }, () => time(() => execSync(`tar --numeric-owner -cf - -C ${c.src} . | gzip -${level} > ${c.work}/ref.tar.gz`))));
    const mb = (f: string): string => `${(statSync(f).size / 1e6).toFixed(0)} MB`;
    rows.push({ what: `write layer tar+gzip -${level}`, kiln: `${mbs(c.tarBytes, k)} → ${mb(out)}`, reference: `tar \\| gzip -${level}: ${mbs(c.tarBytes, g)} → ${mb(`${c.work}/ref.tar.gz`)}`, note: 'MB/s of uncompressed tar; Kiln also hashes diffID and digest' });
  }
  const plain = await kilnTimes(join(c.work, 'plain.tar'), 'none');
  const gtar = median(Array.from({ length: RUNS }, () => time(() => execFileSync('tar', ['--numeric-owner', '-cf', join(c.work, 'ref.tar'), '-C', c.src, '.']))));
  rows.push({ what: 'write layer, uncompressed', kiln: mbs(c.tarBytes, plain), reference: `GNU tar -cf: ${mbs(c.tarBytes, gtar)}`, note: 'Kiln also computes the sha256' });
  return rows;
}

export async function run(): Promise<Row[]> {
  const work = mkdtempSync(join(tmpdir(), 'kiln-bench-fs-'));
  const ignore = new IgnoreList(['/proc', '/sys', '/dev']);
  const rows: Row[] = [];
  try {
    const src = join(work, 'src');
    mkdirSync(src);
    const { files } = realTree(src) ?? makeTree(src);
    const tar = join(work, 'layer.tar');
    execFileSync('tar', ['--numeric-owner', '-cf', tar, '-C', src, '.']);
    const c: Ctx = { work, src, tar, tarBytes: statSync(tar).size, files, ignore };
    rows.push(await extractRow(c), walkRow(c), ...(await writeRows(c)), ...(await bigLayer(work, ignore)));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  writeSection(rows);
  return rows;
}

/** Peak RSS while a 2 GiB single-file layer is extracted and written: memory must stay flat. */
async function bigLayer(work: string, ignore: IgnoreList): Promise<Row[]> {
  const size = 2 * 1024 ** 3;
  const zero = Buffer.alloc(1 << 20);
  function* body(): Generator<Buffer> {
    for (let left = size; left > 0; left -= zero.length) yield zero;
  }
  const root = join(work, 'big');
  mkdirSync(root);
  const base = process.memoryUsage().rss;
  const peak = async (fn: () => Promise<unknown>): Promise<[number, number]> => {
    let max = process.memoryUsage().rss;
    const timer = setInterval(() => (max = Math.max(max, process.memoryUsage().rss)), 20);
    const s = await timeAsync(fn);
    clearInterval(timer);
    return [s, Math.max(max, process.memoryUsage().rss)];
  };
  const header = tarHeader({ name: 'big/file', type: 'file', size, mode: 0o644 });
  const [xs, xm] = await peak(() => extractLayer(tarReadable([{ header, body: body() }]), { root, ignore, mode: 'host', layerName: 'big', xattrOps: null }));
  const [ws, wm] = await peak(() => writeLayer({ root, paths: ['/big/file'], out: join(work, 'big.tar.gz'), compression: 'gzip', level: 1 }));
  const mb = (n: number): string => `${(n / 1024 ** 2).toFixed(0)} MiB`;
  return [
    { what: 'extract a 2 GiB file (generated tar stream)', kiln: `${mbs(size, xs)}, peak RSS ${mb(xm)}`, reference: `RSS before: ${mb(base)}`, note: 'memory flat: bounded by stream buffers' },
    { what: 'write a 2 GiB file as a gzip -1 layer', kiln: `${mbs(size, ws)}, peak RSS ${mb(wm)}`, reference: `RSS before: ${mb(base)}`, note: 'zeros: compression is cheap, the rest is I/O and hashing' },
  ];
}

function writeSection(rows: Row[]): void {
  writeResultsSection('layer-fs', [
    '## Extraction, snapshots, layer writing (test/bench/layer-fs.bench.ts)',
    '',
    `${measuredOn()}, median of ${RUNS} runs, files in page cache; load average ${loadavg()[0]?.toFixed(1)} at the end (other work shares the 2 cores: compare Kiln with its reference on the same row, not across runs).`,
    '',
    '| what | Kiln | reference | note |',
    '|---|---|---|---|',
    ...rows.map((r) => `| ${r.what} | ${r.kiln} | ${r.reference} | ${r.note} |`),
  ]);
}
