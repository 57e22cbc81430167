// Shared by the benchmarks: the machine line every result carries, and writing one benchmark's
// section of RESULTS.md between its own markers (other sections are left as they are).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';

const FILE = new URL('./RESULTS.md', import.meta.url).pathname;

/** `Measured 2026-11-27 14:53 UTC on 2 × <cpu>, Node 20.20.2` */
export function measuredOn(): string {
  const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
  return `Measured ${when} UTC on ${cpus().length} × ${cpus()[0]?.model ?? 'unknown cpu'}, Node ${process.versions.node}`;
}

/** Replace (or append) the section `<!-- bench:NAME:start -->` … `<!-- bench:NAME:end -->`. */
export function writeResultsSection(name: string, lines: readonly string[]): void {
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  const section = [start, ...lines, end].join('\n');
  const old = existsSync(FILE) ? readFileSync(FILE, 'utf8') : '# Benchmark results\n';
  const i = old.indexOf(start);
  const j = old.indexOf(end);
  writeFileSync(FILE, i !== -1 && j > i ? old.slice(0, i) + section + old.slice(j + end.length) : `${old.trimEnd()}\n\n${section}\n`);
}
