// --help text from a flag table, through yargs' own formatter.
import type { FlagSpec } from './flags.ts';
import { toYargs } from './flags.ts';

export interface HelpOptions {
  /** `executor`, `warmer`. */
  scriptName: string;
  usage: string;
  epilogue?: string;
  /** Terminal width; help wraps to it (at most 120). */
  columns?: number;
}

export async function renderHelp(specs: readonly FlagSpec[], options: HelpOptions): Promise<string> {
  const helpFlag: FlagSpec = { name: 'help', short: 'h', kind: 'boolean', describe: 'Show this help' };
  let y = toYargs([...specs, helpFlag], [], { forHelp: true })
    .scriptName(options.scriptName)
    .usage(options.usage)
    .wrap(Math.min(options.columns ?? 100, 120));
  if (options.epilogue !== undefined) y = y.epilogue(options.epilogue);
  return (await y.getHelp()) + '\n';
}
