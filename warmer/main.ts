// `warmer`: kaniko's warmer command line → frozen options → warm the /cache store. The only
// place that prints the final error and exits (0 ok, 1 usage or any error).
import { renderHelp, reportCrash, reportFailure, sniffLogFormat } from '../shared/cli/index.ts';
import { type LogFormat, createLogger } from '../shared/log.ts';
import { kilnVersion } from '../shared/version.ts';
import { warmerFlagSpecs } from './flags.ts';
import { type WarmerOptions, parseWarmerArgs } from './options.ts';

const USAGE = `Usage: warmer [flags]   (or: warmer version)

Fills the base-image store in --cache-dir (an OCI image layout) for the executor (kaniko's warmer).`;
const EPILOGUE = 'Environment: KANIKO_REGISTRY_MIRROR, KANIKO_REGISTRY_MAP, DOCKER_CONFIG, REGISTRY_AUTH_FILE.';

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'version' || (argv.length === 1 && argv[0] === '--version')) {
    process.stdout.write(`${kilnVersion}\n`);
    return 0;
  }
  if (argv[0] === 'help' || argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(await renderHelp(warmerFlagSpecs, { scriptName: 'warmer', usage: USAGE, epilogue: EPILOGUE, columns: process.stdout.columns }));
    return 0;
  }
  let format: LogFormat = sniffLogFormat(argv);
  let options: WarmerOptions | undefined;
  try {
    options = parseWarmerArgs(argv, process.env, { stderrIsTTY: process.stderr.isTTY === true });
    format = options.log.format;
    const logger = createLogger({ ...options.log, write: (line) => process.stderr.write(line) });
    const { warm } = await import('./warm.ts');
    await warm(options, logger);
    return 0;
  } catch (err) {
    const level = options?.log.level;
    const report = reportFailure(err, { format, prefix: 'failed warming cache', stack: level === 'debug' || level === 'trace' });
    process.stderr.write(report.text);
    return report.exitCode;
  }
}

// An error that escapes every handler is a bug: report it as one, never as a raw stack dump.
const crash = (err: unknown): never => {
  process.stderr.write(reportCrash(err, { format: sniffLogFormat(process.argv.slice(2)), prefix: 'failed warming cache' }).text);
  process.exit(1);
};
process.on('unhandledRejection', crash);
process.on('uncaughtException', crash);

process.exit(await main(process.argv.slice(2)));
