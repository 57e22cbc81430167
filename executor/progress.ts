// Progress for pulls (layer extraction) and pushes (layer uploads), DESIGN §8: on a terminal
// one status line redrawn in place (at most ten times a second); otherwise plain log lines
// when each transfer finishes. Layers are wrapped so their streams count bytes.
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import type { Image, Layer } from '../shared/image/types.ts';
import type { Logger } from '../shared/log.ts';
import { formatBytes } from './summary.ts';

export interface ProgressTask {
  add(bytes: number): void;
  done(): void;
}

export interface Progress {
  /** `verb` is 'Extracting' or 'Pushing'; `total` the expected bytes when known. */
  start(verb: string, label: string, total?: number): ProgressTask;
  /** Clear the status line (before other output and at the end). */
  clear(): void;
}

export interface ProgressOptions {
  tty: boolean;
  /** Raw writes for the status line (stderr). */
  write: (text: string) => void;
  logger: Logger;
  now?: () => number;
}

interface Active {
  verb: string;
  label: string;
  total?: number | undefined;
  bytes: number;
  started: number;
}

export function createProgress(o: ProgressOptions): Progress {
  const now = o.now ?? Date.now;
  const active = new Set<Active>();
  let lastDraw = 0;
  let drawn = false;
  const draw = (force: boolean): void => {
    if (!o.tty || (!force && now() - lastDraw < 100)) return;
    lastDraw = now();
    const parts = [...active].map((a) => `${a.verb} ${a.label} ${formatBytes(a.bytes)}${a.total !== undefined ? `/${formatBytes(a.total)}` : ''}`);
    o.write(`\r\x1b[K${parts.join(' | ').slice(0, 200)}`);
    drawn = parts.length > 0;
  };
  const clear = (): void => {
    if (o.tty && drawn) o.write('\r\x1b[K');
    drawn = false;
  };
  return {
    start(verb, label, total) {
      const a: Active = { verb, label, total, bytes: 0, started: now() };
      active.add(a);
      draw(true);
      return {
        add(bytes) {
          a.bytes += bytes;
          draw(false);
        },
        done() {
          active.delete(a);
          clear();
          const secs = ((now() - a.started) / 1000).toFixed(1);
          o.logger.info(`${verb === 'Pushing' ? 'Pushed' : 'Extracted'} ${a.label} (${formatBytes(a.bytes)}) in ${secs}s`);
          draw(true);
        },
      };
    },
    clear,
  };
}

/** A pass-through stream reporting the bytes that flow through it. */
export function counting(task: ProgressTask): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback) {
      task.add(chunk.length);
      cb(null, chunk);
    },
    flush(cb: TransformCallback) {
      task.done();
      cb();
    },
  });
}

/** `layer` with compressed() streams counted as a push of `label`. */
export function withPushProgress(layer: Layer, progress: Progress, label: string): Layer {
  return {
    digest: () => layer.digest(),
    diffId: () => layer.diffId(),
    size: () => layer.size(),
    mediaType: () => layer.mediaType(),
    uncompressed: () => layer.uncompressed(),
    compressed: async (): Promise<Readable> => {
      const src = await layer.compressed();
      const task = progress.start('Pushing', label, await layer.size());
      const out = counting(task);
      src.on('error', (e) => out.destroy(e));
      return src.pipe(out);
    },
  };
}

/** `image` whose layers for which `track` is true report pushes; other layers are untouched
 * (the registry client recognises pulled layers by identity for cross-repository mounts). */
export function withImagePushProgress(image: Image, progress: Progress, track: (layer: Layer) => boolean): Image {
  const wrap = async (): Promise<Layer[]> =>
    Promise.all(
      (await image.layers()).map(async (l, i) => (track(l) ? withPushProgress(l, progress, `layer ${i + 1} ${(await l.digest()).slice(7, 19)}`) : l)),
    );
  return {
    rawManifest: () => image.rawManifest(),
    manifest: () => image.manifest(),
    rawConfig: () => image.rawConfig(),
    config: () => image.config(),
    digest: () => image.digest(),
    mediaType: () => image.mediaType(),
    layers: wrap,
    layer: async (d) => {
      for (const l of await wrap()) if ((await l.digest()) === d) return l;
      return image.layer(d);
    },
  };
}
