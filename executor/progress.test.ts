import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Logger } from '../shared/log.ts';
import { randomLayer } from '../test/helpers/random-image.ts';
import { createProgress, withPushProgress } from './progress.ts';
import { formatBytes } from './summary.ts';

function capture(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const push = (m: string): void => {
    lines.push(m);
  };
  return { logger: { debug: push, info: push, warn: push, error: push }, lines };
}

describe('progress', () => {
  it('on a terminal redraws one status line and clears it; logs a line per finished transfer', () => {
    const out: string[] = [];
    const { logger, lines } = capture();
    let t = 0;
    const p = createProgress({ tty: true, write: (s) => out.push(s), logger, now: () => (t += 200) });
    const task = p.start('Extracting', 'layer 1/2', 2048);
    task.add(1024);
    task.done();
    expect(out[0]).toBe('\r\x1b[KExtracting layer 1/2 0 B/2.0 KiB');
    expect(out).toContain('\r\x1b[KExtracting layer 1/2 1.0 KiB/2.0 KiB');
    expect(out.at(-1)).toBe('\r\x1b[K');
    expect(lines).toEqual(['Extracted layer 1/2 (1.0 KiB) in 0.8s']);
  });

  it('without a terminal writes no control characters', () => {
    const out: string[] = [];
    const { logger, lines } = capture();
    const p = createProgress({ tty: false, write: (s) => out.push(s), logger });
    p.start('Pushing', 'layer 3', 10).done();
    expect(out).toEqual([]);
    expect(lines[0]).toMatch(/^Pushed layer 3 \(0 B\) in \d+\.\ds$/);
  });

  it('a wrapped layer counts the compressed bytes it streams', async () => {
    const layer = await randomLayer({ bytes: 4096 });
    const { logger, lines } = capture();
    const wrapped = withPushProgress(layer, createProgress({ tty: false, write: () => undefined, logger }), 'layer 1');
    const chunks: Buffer[] = [];
    for await (const c of (await wrapped.compressed()) as Readable) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).length).toBe(await layer.size());
    expect(lines[0]).toContain(`(${formatBytes(await layer.size())})`);
    expect(await wrapped.digest()).toBe(await layer.digest());
  });
});
