// The typed Dockerfile instructions: pure data, discriminated by `kind` (STYLE.md §2).
// Shapes follow BuildKit's frontend/dockerfile/instructions (commands.go), with every flag a
// typed field. Values are as written in the Dockerfile until `expandInstruction` resolves the
// fields Docker expands (it returns a new value; nothing here is mutated in place).

/** 1-based first and last line of an instruction (continuations and heredoc bodies included). */
export interface Loc {
  start: number;
  end: number;
}

interface Base {
  loc: Loc;
  /** The logical line as written, continuations joined (BuildKit `node.Original`), heredoc bodies excluded. */
  raw: string;
}

/** ENV and LABEL pairs as written, quotes included, until `expandInstruction` processes them. */
export interface KeyValue {
  key: string;
  value: string;
}

/**
 * The command of RUN, CMD, ENTRYPOINT: shell form (run as `[...SHELL, command]`) or exec form
 * (valid JSON array of strings, run as is). Docker falls back to the shell form when the
 * text looks like JSON but does not parse.
 */
export type Command = { form: 'shell'; command: string } | { form: 'exec'; args: string[] };

/**
 * A here-document (`<<EOF`, `<<-EOF`, `<<"EOF"`). `content` is the body as written, ending
 * with a newline, before any tab stripping; `chomp` is `<<-` (strip leading tabs: see
 * `heredocBody`). `expand` is false when the delimiter was quoted.
 */
export interface Heredoc {
  name: string;
  content: string;
  chomp: boolean;
  expand: boolean;
}

/** A COPY/ADD source given inline as a heredoc: `COPY <<EOF /dest`. */
export interface InlineSource {
  /** The heredoc name: the file name when the destination is a directory. */
  path: string;
  /** The body, tabs already stripped for `<<-`. Expanded by `expandInstruction` when `expand`. */
  data: string;
  expand: boolean;
}

export type FromInstruction = Base & {
  kind: 'FROM';
  /** The base: an image reference, a stage name, or `scratch` (as written; may contain `$ARG`). */
  image: string;
  /** Stage name from `AS name`, lowercased (stage names are case-insensitive). */
  name?: string;
  /** `--platform=` value as written (e.g. `$BUILDPLATFORM`, `linux/arm64`). */
  platform?: string;
};

export type MountSharing = 'shared' | 'private' | 'locked';

interface MountBase {
  /** The raw `--mount=` value, as written (re-parsed after expansion). */
  spec: string;
}

export type BindMount = MountBase & {
  type: 'bind';
  target: string;
  /** Path in `from` (or the context); default `/`. */
  source?: string;
  /** Stage name, stage index or image; default the build context. */
  from?: string;
  readonly: boolean;
};

export type CacheMount = MountBase & {
  type: 'cache';
  target: string;
  /** Defaults to the target when absent (BuildKit). */
  id?: string;
  /** Default `shared`. */
  sharing: MountSharing;
  from?: string;
  source?: string;
  readonly: boolean;
  /** Octal mode of a new cache dir (default 0o755 by BuildKit). */
  mode?: number;
  uid?: number;
  gid?: number;
};

export type TmpfsMount = MountBase & {
  type: 'tmpfs';
  target: string;
  /** Size limit in bytes (`size=` as go-units RAMInBytes). */
  size?: number;
  readonly: boolean;
};

export type SecretMount = MountBase & {
  type: 'secret';
  /** Secret id; defaults to `source`, else the basename of target. */
  id?: string;
  /** Default `/run/secrets/<id>` when neither target nor env is given. */
  target?: string;
  /** Expose the secret as this environment variable instead of (or as well as) a file. */
  env?: string;
  required: boolean;
  readonly: boolean;
  /** Default 0o400. */
  mode?: number;
  uid?: number;
  gid?: number;
};

export type SshMount = MountBase & {
  type: 'ssh';
  /** Default `default`. */
  id?: string;
  /** Default `/run/buildkit/ssh_agent.${N}`. */
  target?: string;
  required: boolean;
  readonly: boolean;
  /** Default 0o600. */
  mode?: number;
  uid?: number;
  gid?: number;
};

export type Mount = BindMount | CacheMount | TmpfsMount | SecretMount | SshMount;

export type RunNetwork = 'default' | 'none' | 'host';
export type RunSecurity = 'sandbox' | 'insecure';

export type RunInstruction = Base & {
  kind: 'RUN';
  /** Shell form keeps heredoc markers (`<<EOF`) in `command`; bodies are in `heredocs`. */
  command: Command;
  heredocs: Heredoc[];
  /**
   * Parsed `--mount` flags. Values containing `$` are resolved by `expandInstruction`,
   * which re-parses `spec`: use the mounts of the expanded instruction.
   */
  mounts: Mount[];
  network?: RunNetwork;
  security?: RunSecurity;
};

export type CmdInstruction = Base & { kind: 'CMD'; command: Command };

export type EntrypointInstruction = Base & { kind: 'ENTRYPOINT'; command: Command };

export type LabelInstruction = Base & { kind: 'LABEL'; labels: KeyValue[] };

export type MaintainerInstruction = Base & { kind: 'MAINTAINER'; maintainer: string };

/** Ports as written (`80`, `80/tcp`, `8000-8010/udp`, `$PORT`); validated by the executor. */
export type ExposeInstruction = Base & { kind: 'EXPOSE'; ports: string[] };

/** `ENV A=1 B=$A`: every value is expanded with the env as it was BEFORE this instruction. */
export type EnvInstruction = Base & { kind: 'ENV'; env: KeyValue[] };

interface CopyLike {
  /** Source paths, URLs (ADD) or git refs (ADD), in order; heredoc sources are in `inline`. */
  sources: string[];
  inline: InlineSource[];
  dest: string;
  /** `--chown=user:group` as written. */
  chown?: string;
  /** `--chmod=` octal (`0755`) or symbolic (`u+x,g-w`) as written. */
  chmod?: string;
  link: boolean;
  /** `--exclude=` patterns (repeatable). */
  exclude: string[];
}

export type CopyInstruction = Base &
  CopyLike & {
    kind: 'COPY';
    /** `--from=` stage name, stage index or image reference. */
    from?: string;
    parents: boolean;
  };

export type AddInstruction = Base &
  CopyLike & {
    kind: 'ADD';
    keepGitDir: boolean;
    /** `--checksum=sha256:…` (or a git commit for git sources). */
    checksum?: string;
    /** `--unpack=true|false` (absent: unpack local archives, not remote ones). */
    unpack?: boolean;
  };

export type VolumeInstruction = Base & { kind: 'VOLUME'; volumes: string[] };

export type UserInstruction = Base & { kind: 'USER'; user: string };

export type WorkdirInstruction = Base & { kind: 'WORKDIR'; path: string };

export interface ArgDeclaration {
  name: string;
  /**
   * The default as written, quotes included (`"x y"`): the shell lexer removes them when the
   * value is expanded. Absent for `ARG NAME`; `ARG X=` is ''.
   */
  value?: string;
}

export type ArgInstruction = Base & { kind: 'ARG'; args: ArgDeclaration[] };

export type OnbuildInstruction = Base & {
  kind: 'ONBUILD';
  /** The trigger text as stored in the image config (`ONBUILD` removed). */
  expression: string;
  /** The trigger, parsed (never ONBUILD, FROM or MAINTAINER). */
  instruction: Instruction;
};

export type StopsignalInstruction = Base & { kind: 'STOPSIGNAL'; signal: string };

/** Durations in nanoseconds as in the image config; absent (or 0) means inherit / default. */
export type HealthcheckInstruction = Base & {
  kind: 'HEALTHCHECK';
  /** `['NONE']`, `['CMD', ...args]` (exec form) or `['CMD-SHELL', command]`. */
  test: string[];
  interval?: number;
  timeout?: number;
  startPeriod?: number;
  startInterval?: number;
  retries?: number;
};

export type ShellInstruction = Base & { kind: 'SHELL'; shell: string[] };

export type Instruction =
  | FromInstruction
  | RunInstruction
  | CmdInstruction
  | LabelInstruction
  | MaintainerInstruction
  | ExposeInstruction
  | EnvInstruction
  | AddInstruction
  | CopyInstruction
  | EntrypointInstruction
  | VolumeInstruction
  | UserInstruction
  | WorkdirInstruction
  | ArgInstruction
  | OnbuildInstruction
  | StopsignalInstruction
  | HealthcheckInstruction
  | ShellInstruction;

export type InstructionKind = Instruction['kind'];

export const INSTRUCTION_KINDS = [
  'FROM', 'RUN', 'CMD', 'LABEL', 'MAINTAINER', 'EXPOSE', 'ENV', 'ADD', 'COPY', 'ENTRYPOINT',
  'VOLUME', 'USER', 'WORKDIR', 'ARG', 'ONBUILD', 'STOPSIGNAL', 'HEALTHCHECK', 'SHELL',
] as const satisfies readonly InstructionKind[];

/** Parser directives found at the top of the file (`# syntax=`, `# escape=`, `# check=`). */
export interface Directives {
  syntax?: string;
  /** `\` (default) or `` ` ``. */
  escape: '\\' | '`';
  check?: string;
}

/** A build stage: a FROM and the instructions up to the next FROM. */
export interface Stage {
  /** 0-based position in the Dockerfile (`COPY --from=0`). */
  index: number;
  /** Lowercased `AS` name, if any. */
  name?: string;
  from: FromInstruction;
  instructions: Exclude<Instruction, FromInstruction>[];
}

/** A parsed Dockerfile. */
export interface Dockerfile {
  /** The file name used in error messages. */
  file: string;
  directives: Directives;
  /** ARG instructions before the first FROM (usable in FROM lines only). */
  metaArgs: ArgInstruction[];
  stages: Stage[];
  /** Every instruction in order (metaArgs and stage instructions included). */
  instructions: Instruction[];
  /** Things Docker accepts but warns about (empty continuation lines). */
  warnings: { line: number; message: string }[];
}
