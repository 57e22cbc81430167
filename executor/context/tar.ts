// `tar://path/to/context.tar.gz` and `tar://stdin` (kaniko's `docker run -i … --context
// tar://stdin`, a gzipped tar on standard input): unpacked safely into the context directory.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { KilnError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/log.ts';
import { unpackContext } from './unpack.ts';

export interface TarContextOptions {
  /** Standard input (tar://stdin); a terminal is refused. */
  stdin: Readable & { isTTY?: boolean };
  /** Relative paths resolve against this. */
  cwd: string;
  logger: Logger;
}

/** The location after `tar://`: "stdin" or a file path. */
export function tarLocation(url: string): string {
  return url.replace(/^tar:\/\//i, '');
}

export async function fetchTarContext(url: string, dir: string, o: TarContextOptions): Promise<void> {
  const location = tarLocation(url);
  if (location === 'stdin') {
    if (o.stdin.isTTY === true) {
      throw new KilnError('E_CONTEXT', 'reading the build context from stdin: stdin is a terminal, not a tar archive', {
        hint: "pipe a gzipped tar in (with docker run, don't forget --interactive, -i)",
      });
    }
    o.logger.info('Reading the build context (a tar archive) from stdin');
    await unpackContext(o.stdin, dir, { what: 'tar://stdin', logger: o.logger });
    return;
  }
  const file = resolve(o.cwd, location);
  const st = await stat(file).catch((cause: unknown) => {
    throw new KilnError('E_CONTEXT', `reading the build context ${url}: ${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}`, {
      cause,
      hint: 'tar:// takes the path of a tar archive (plain, gzip or zstd) or "stdin"',
    });
  });
  if (!st.isFile()) throw new KilnError('E_CONTEXT', `reading the build context ${url}: not a file`);
  o.logger.info(`Unpacking the build context ${file}`);
  await unpackContext(createReadStream(file), dir, { what: url, logger: o.logger });
}
