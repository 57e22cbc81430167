// `executor`: kaniko's executor command line → frozen options → build. The only place that
// prints the final error and exits (0 ok, 1 usage or any error, or the error's own exit code,
// e.g. a failed RUN's).
import { renderHelp, reportCrash, reportFailure, sniffLogFormat } from '../shared/cli/index.ts';
import { type LogFormat, createLogger } from '../shared/log.ts';
import { kilnVersion } from '../shared/version.ts';
import { executorFlagSpecs } from './flags.ts';
import { type ExecutorOptions, parseExecutorArgs } from './options.ts';

const USAGE = `Usage: executor [flags]   (or: executor version)

Builds a container image from a Dockerfile without a Docker daemon and pushes it (kaniko's executor).`;
const EPILOGUE = 'Environment: KANIKO_DIR, KANIKO_NO_PUSH, KANIKO_REGISTRY_MIRROR, KANIKO_REGISTRY_MAP, DOCKER_CONFIG, REGISTRY_AUTH_FILE.';

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'version' || (argv.length === 1 && argv[0] === '--version')) {
    process.stdout.write(`${kilnVersion}\n`);
    return 0;
  }
  if (argv[0] === 'help' || argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(await renderHelp(executorFlagSpecs, { scriptName: 'executor', usage: USAGE, epilogue: EPILOGUE, columns: process.stdout.columns }));
    return 0;
  }
  let format: LogFormat = sniffLogFormat(argv);
  let options: ExecutorOptions | undefined;
  try {
    options = parseExecutorArgs(argv, process.env, { stderrIsTTY: process.stderr.isTTY === true });
    format = options.log.format;
    const logger = createLogger({ ...options.log, write: (line) => process.stderr.write(line) });
    for (const note of options.notes) logger[note.level](note.message);
    const { runBuild } = await import('./build.ts');
    await runBuild(options, logger);
    return 0;
  } catch (err) {
    const level = options?.log.level;
    const report = reportFailure(err, { format, prefix: 'error building image', stack: level === 'debug' || level === 'trace' });
    process.stderr.write(report.text);
    return report.exitCode;
  }
}

// An error that escapes every handler is a bug: report it as one, never as a raw stack dump.
const crash = (err: unknown): never => {
  process.stderr.write(reportCrash(err, { format: sniffLogFormat(process.argv.slice(2)), prefix: 'error building image' }).text);
  process.exit(1);
};
process.on('unhandledRejection', crash);
process.on('uncaughtException', crash);

process.exit(await main(process.argv.slice(2)));
