// `npm run bench [-- name…]`: runs every test/bench/*.bench.ts module's exported run(), one
// after the other (they measure throughput: never in parallel). Each writes its own section
// of test/bench/RESULTS.md. Names filter the modules: `npm run bench -- registry`.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const modules = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((n) => f.includes(n)))
  .sort();

let failed = 0;
for (const file of modules) {
  const started = Date.now();
  process.stdout.write(`bench ${file}\n`);
  try {
    const mod = (await import(pathToFileURL(join(here, file)).href)) as { run?: () => Promise<unknown> };
    if (typeof mod.run !== 'function') throw new Error('it exports no run()');
    const rows = await mod.run();
    if (Array.isArray(rows)) for (const r of rows) process.stdout.write(`  ${JSON.stringify(r)}\n`);
    process.stdout.write(`  done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  } catch (e) {
    failed++;
    process.stderr.write(`  ${file} failed: ${(e as Error).stack ?? String(e)}\n`);
  }
}
process.exit(failed === 0 ? 0 : 1);
