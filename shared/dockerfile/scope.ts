// ARG and ENV scoping as Docker/BuildKit: the global scope (platform args + meta ARGs before
// the first FROM, overridden by --build-arg) is usable in FROM lines only; a stage sees an ARG
// only after declaring it (`ARG X` inherits the global value); ENV always wins over ARG; the
// proxy args reach RUN without being declared and stay out of history unless declared.
import type { Platform } from '../image/types.ts';
import { expandInstruction } from './expand.ts';
import type { ArgInstruction, Dockerfile, FromInstruction, Instruction, KeyValue, Stage } from './instructions/types.ts';

export const PROXY_ARGS: readonly string[] = [
  'HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy',
  'ALL_PROXY', 'all_proxy',
];

export const PLATFORM_ARGS: readonly string[] = [
  'TARGETPLATFORM', 'TARGETOS', 'TARGETARCH', 'TARGETVARIANT', 'BUILDPLATFORM', 'BUILDOS', 'BUILDARCH', 'BUILDVARIANT',
];

export interface Platforms {
  /** The platform being built for (--custom-platform, else the build platform). */
  target: Platform;
  /** The platform the build runs on. */
  build: Platform;
}

export function formatPlatform(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}

const GO_ARCH: Record<string, string> = { x64: 'amd64', ia32: '386', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

/** linux/<this machine's architecture> as build and target platform: the default when none is given. */
export function hostPlatforms(): Platforms {
  const architecture = GO_ARCH[process.arch] ?? process.arch;
  const p: Platform = architecture === 'arm' ? { os: 'linux', architecture, variant: 'v7' } : { os: 'linux', architecture };
  return { target: p, build: p };
}

/** The automatic platform args (BuildKit defaultArgs). */
export function platformArgs(p: Platforms): Map<string, string> {
  return new Map([
    ['TARGETPLATFORM', formatPlatform(p.target)],
    ['TARGETOS', p.target.os],
    ['TARGETARCH', p.target.architecture],
    ['TARGETVARIANT', p.target.variant ?? ''],
    ['BUILDPLATFORM', formatPlatform(p.build)],
    ['BUILDOS', p.build.os],
    ['BUILDARCH', p.build.architecture],
    ['BUILDVARIANT', p.build.variant ?? ''],
  ]);
}

/**
 * `--build-arg` values: `NAME=value`, or a bare `NAME` taking its value from `environ`
 * (skipped when unset there, as the docker CLI does).
 */
export function parseBuildArgs(specs: readonly string[], environ: Readonly<Record<string, string | undefined>>): Map<string, string> {
  const out = new Map<string, string>();
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    if (eq >= 0) out.set(spec.slice(0, eq), spec.slice(eq + 1));
    else if (environ[spec] !== undefined) out.set(spec, environ[spec] as string);
  }
  return out;
}

export interface GlobalScope {
  /** Values usable in FROM lines: platform args and meta ARGs with a value. */
  readonly values: ReadonlyMap<string, string>;
  /** Names a stage's `ARG NAME` can inherit from (meta ARGs and platform args). */
  readonly inheritable: ReadonlySet<string>;
  readonly buildArgs: ReadonlyMap<string, string>;
  readonly escapeToken: string;
  readonly file: string;
}

export interface GlobalScopeOptions {
  buildArgs: ReadonlyMap<string, string>;
  platforms: Platforms;
}

/** Resolve the meta ARGs: each default expanded with the args before it, --build-arg wins. */
export function resolveGlobalScope(df: Dockerfile, opts: GlobalScopeOptions): GlobalScope {
  const values = platformArgs(opts.platforms);
  for (const [k, v] of opts.buildArgs) if (values.has(k)) values.set(k, v);
  const inheritable = new Set(values.keys());
  const escapeToken = df.directives.escape;
  for (const instr of df.metaArgs) {
    for (const arg of instr.args) {
      inheritable.add(arg.name);
      let value = arg.value === undefined ? undefined : expandArgDefault(arg.value, values, { escapeToken, file: df.file, instr });
      if (opts.buildArgs.has(arg.name)) value = opts.buildArgs.get(arg.name);
      if (value === undefined) values.delete(arg.name);
      else values.set(arg.name, value);
    }
  }
  return { values, inheritable, buildArgs: opts.buildArgs, escapeToken, file: df.file };
}

function expandArgDefault(value: string, values: ReadonlyMap<string, string>, ctx: { escapeToken: string; file: string; instr: ArgInstruction }): string {
  const one: ArgInstruction = { ...ctx.instr, args: [{ name: 'X', value }] };
  const expanded = expandInstruction(one, (n) => values.get(n), { escapeToken: ctx.escapeToken, file: ctx.file });
  return (expanded.args[0]?.value ?? '') as string;
}

/** A stage's FROM with image and --platform expanded from the global scope. */
export function expandFrom(from: FromInstruction, global: GlobalScope): FromInstruction {
  return expandInstruction(from, (n) => global.values.get(n), { escapeToken: global.escapeToken, file: global.file });
}

export interface StageScope {
  /** The instruction with its variables resolved from ENV (first) and the ARGs in scope. Pure. */
  expand<I extends Instruction>(instr: I): I;
  /** Record an (expanded) ARG: --build-arg, else its default, else the inherited global value. */
  declareArg(arg: ArgInstruction): void;
  /** Record an ENV (after the executor applied it to the config). */
  setEnv(key: string, value: string): void;
  /** expand, then declareArg / setEnv for ARG and ENV; returns the expanded instruction. */
  advance<I extends Instruction>(instr: I): I;
  /** What RUN sees: ENV, then ARGs in scope not shadowed by ENV, then undeclared proxy build args. */
  runEnv(): string[];
  /** Declared ARGs with a value, in declaration order (for RUN history and cache keys). */
  args(): KeyValue[];
  /** Names of --build-args this stage declared. */
  consumed(): ReadonlySet<string>;
}

export interface StageScopeOptions {
  global: GlobalScope;
  /** The base image's config Env (`KEY=value` strings). */
  baseEnv?: readonly string[];
}

export function createStageScope(opts: StageScopeOptions): StageScope {
  const { global } = opts;
  const env = new Map<string, string>();
  for (const e of opts.baseEnv ?? []) {
    const eq = e.indexOf('=');
    if (eq < 0) env.set(e, '');
    else env.set(e.slice(0, eq), e.slice(eq + 1));
  }
  const args = new Map<string, string | undefined>();
  const consumed = new Set<string>();
  const lookup = (name: string): string | undefined => (env.has(name) ? env.get(name) : args.get(name));
  const scope: StageScope = {
    expand: (instr) => expandInstruction(instr, lookup, { escapeToken: global.escapeToken, file: global.file }),
    declareArg(arg) {
      for (const a of arg.args) {
        let value = a.value;
        if (global.buildArgs.has(a.name)) {
          value = global.buildArgs.get(a.name);
          consumed.add(a.name);
        } else if (value === undefined && global.inheritable.has(a.name)) value = global.values.get(a.name);
        args.delete(a.name);
        args.set(a.name, value);
      }
    },
    setEnv(key, value) {
      env.set(key, value);
    },
    advance(instr) {
      const out = scope.expand(instr);
      if (out.kind === 'ARG') scope.declareArg(out);
      else if (out.kind === 'ENV') for (const kv of out.env) scope.setEnv(kv.key, kv.value);
      return out;
    },
    runEnv() {
      const out = [...env].map(([k, v]) => `${k}=${v}`);
      for (const [k, v] of args) if (v !== undefined && !env.has(k)) out.push(`${k}=${v}`);
      for (const p of PROXY_ARGS) {
        const v = global.buildArgs.get(p);
        if (v !== undefined && !args.has(p) && !env.has(p)) out.push(`${p}=${v}`);
      }
      return out;
    },
    args: () => [...args].filter((e): e is [string, string] => e[1] !== undefined).map(([key, value]) => ({ key, value })),
    consumed: () => consumed,
  };
  return scope;
}

/** --build-args no ARG declares (meta or in `stages`, default all): Docker warns about them. */
export function unusedBuildArgs(df: Dockerfile, buildArgs: ReadonlyMap<string, string>, stages: readonly Stage[] = df.stages): string[] {
  const declared = new Set<string>([...PROXY_ARGS, ...PLATFORM_ARGS]);
  for (const a of df.metaArgs) for (const d of a.args) declared.add(d.name);
  for (const s of stages) for (const i of s.instructions) if (i.kind === 'ARG') for (const d of i.args) declared.add(d.name);
  return [...buildArgs.keys()].filter((k) => !declared.has(k)).sort();
}

/** Whether an arg name is one of Docker's predefined proxy args. */
export function isProxyArg(name: string): boolean {
  return PROXY_ARGS.includes(name);
}

