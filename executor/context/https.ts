// `https://host/path/context.tar.gz` (and http:// for loopback tests and plain servers): a
// remote tarball streamed straight into the safe extractor, as kaniko's HTTPSTar context but
// without a temporary copy of the archive.
import type { Logger } from '../../shared/log.ts';
import { displayUrl, httpGet } from './http-get.ts';
import { unpackContext } from './unpack.ts';

export interface HttpsContextOptions {
  env: NodeJS.ProcessEnv;
  logger: Logger;
}

export async function fetchHttpsContext(url: string, dir: string, o: HttpsContextOptions): Promise<void> {
  const shown = displayUrl(url);
  o.logger.info(`Retrieving the build context tarball ${shown}`);
  const { body, close } = await httpGet(url, { env: o.env, what: `the build context ${shown}` });
  try {
    await unpackContext(body, dir, { what: shown, logger: o.logger });
  } finally {
    await close();
  }
  o.logger.info(`Extracted the build context tarball ${shown}`);
}
