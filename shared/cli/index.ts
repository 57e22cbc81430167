// Command-line plumbing shared by the two binaries: flag tables parsed as pflag does, typed
// value readers, the registry and log flags, and the final error report.
export { type FlagKind, type FlagSpec, type ParsedFlags, parseFlags, toYargs, usageError, HELP_HINT } from './flags.ts';
export { parseGoBool, parseGoDuration } from './go-values.ts';
export { renderHelp } from './help.ts';
export { type LogOptions, logFlagSpecs, logOptionsFromFlags, sniffLogFormat } from './log-flags.ts';
export { registryFlagSpecs, registryOptionsFromFlags, parseRegistryMaps } from './registry-flags.ts';
export { type FailureReport, exitCodeOf, reportCrash, reportFailure } from './report.ts';
export {
  badValue,
  deepFreeze,
  parsePlatform,
  readBuildArgs,
  readChoice,
  readDuration,
  readInt,
  readKeyValues,
  splitKeyValue,
} from './values.ts';
