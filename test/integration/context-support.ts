// Small archives for the build-context integration tests.
import { gzipSync } from 'node:zlib';
import tarStream from 'tar-stream';

/** A gzipped tar of files (path → content); parent directories are implied. */
export async function tarGz(files: Record<string, string>): Promise<Buffer> {
  const pack = tarStream.pack();
  for (const [name, body] of Object.entries(files)) pack.entry({ name, mode: 0o644, mtime: new Date(1_600_000_000_000) }, body);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack as AsyncIterable<Buffer>) chunks.push(c);
  return gzipSync(Buffer.concat(chunks));
}
