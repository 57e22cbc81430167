// Public surface of shared/dockerfile: parse a Dockerfile into typed instructions, expand
// variables as Docker does, scope ARG/ENV per stage, plan stages, match .dockerignore.
export type * from './instructions/types.ts';
export { INSTRUCTION_KINDS } from './instructions/types.ts';
export { parseDockerfile, loadDockerfile, parseOnbuildTrigger, type ParseOptions } from './parse.ts';
export { expandInstruction, type ExpandOptions } from './expand.ts';
export { processWord, processWords, type EnvGetter, type LexOptions } from './shell/lex.ts';
export { heredocBody } from './parser/heredoc.ts';
export { parseChmod, applyChmod, type Chmod } from './instructions/chmod.ts';
export {
  createStageScope, resolveGlobalScope, expandFrom, parseBuildArgs, platformArgs, formatPlatform, hostPlatforms,
  unusedBuildArgs,
  isProxyArg, PROXY_ARGS, PLATFORM_ARGS,
  type GlobalScope, type GlobalScopeOptions, type Platforms, type StageScope, type StageScopeOptions,
} from './scope.ts';
export {
  resolveTarget, resolveStageRef, stageDependencies, stagesNeeded, stageBuildOrder, baseImagesOf,
  type StageRef, type StageDependency, type StagePlanOptions, type BaseImagesOptions,
} from './stages.ts';
export { loadDockerignore, parseDockerignore, createDockerignore, type Dockerignore } from './dockerignore.ts';
export { runCommandLine, type RunCommandLine } from './run-command.ts';
export { parseGoDuration } from './instructions/duration.ts';
