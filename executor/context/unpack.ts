// Unpacking a context archive (plain tar, gzip or zstd: sniffed from the first bytes, as
// kaniko's UnpackCompressedTar) into a directory with the build root's safe extractor: no
// entry, symlink or hardlink can write outside it. Streams end to end: memory stays flat
// whatever the size of the context.
import type { Readable } from 'node:stream';
import { isKilnError, KilnError } from '../../shared/errors.ts';
import { decompressStream } from '../../shared/image/index.ts';
import type { Logger } from '../../shared/log.ts';
import { extractLayer, type ExtractStats } from '../root/extract-layer.ts';
import { IgnoreList } from '../root/ignore-list.ts';

export interface UnpackOptions {
  /** The context as the user wrote it (redacted), for messages. */
  what: string;
  logger: Logger;
}

/** Unpack a (possibly compressed) tar stream into `dir`, which must exist and be empty. */
export async function unpackContext(input: Readable, dir: string, options: UnpackOptions): Promise<ExtractStats> {
  const tar = decompressStream();
  let inputError: Error | undefined; // a download cut short: report it, not what extraction saw
  input.on('error', (e) => {
    inputError = e;
    tar.destroy(e);
  });
  input.pipe(tar);
  let stats: ExtractStats;
  try {
    stats = await extractLayer(tar, {
      root: dir,
      ignore: new IgnoreList(),
      mode: 'host',
      layerName: 'context',
      logger: options.logger,
      xattrOps: null,
    });
  } catch (cause) {
    input.destroy();
    if (inputError !== undefined) {
      const code = isKilnError(inputError) ? inputError.code : 'E_CONTEXT';
      throw new KilnError(code, `unpacking the build context ${options.what}: reading it failed: ${inputError.message}`, { cause: inputError });
    }
    const inner = cause instanceof Error ? cause.message : String(cause);
    const why = inner.replace(/^extracting layer context: /, '');
    const code = isKilnError(cause) && cause.code !== 'E_LAYER' ? cause.code : 'E_CONTEXT';
    throw new KilnError(code, `unpacking the build context ${options.what}: ${why}`, {
      cause,
      ...(code === 'E_CONTEXT' ? { hint: 'the context must be a tar archive, plain or compressed with gzip or zstd' } : {}),
    });
  }
  if (stats.entries === 0) {
    throw new KilnError('E_CONTEXT', `unpacking the build context ${options.what}: the archive is empty`, {
      hint: options.what === 'tar://stdin' ? 'pipe a tar archive into stdin (with docker run, pass --interactive, -i)' : 'check that the archive holds the context',
    });
  }
  options.logger.debug(`build context ${options.what}: ${stats.entries} entries, ${stats.bytes} bytes`);
  return stats;
}
