// History `created_by` strings exactly as BuildKit's dockerfile2llb writes them (docker history
// shows these): steps that produce a filesystem change through LLB get ` # buildkit`, the
// metadata-only steps are printed with Go's %v / %q formatting of their values.
import { runCommandLine, type Instruction, type KeyValue } from '../../shared/dockerfile/index.ts';
import { redactUrl } from '../../shared/errors.ts';
import { goQuoteList } from './go-format.ts';

export interface CreatedByContext {
  /** SHELL in effect (for shell-form RUN/CMD/ENTRYPOINT). */
  shell: readonly string[];
  /** ARGs in scope with their values, in declaration order (RUN prints them as `|N K=V`). */
  buildArgs: readonly KeyValue[];
}

const BUILDKIT = ' # buildkit';

export function createdBy(instr: Instruction, ctx: CreatedByContext): string {
  switch (instr.kind) {
    case 'RUN': {
      const args = runCommandLine(instr, ctx.shell).argv; // heredocs as BuildKit runs (and records) them
      const env = ctx.buildArgs.map((a) => `${a.key}=${a.value}`);
      const prefix = env.length > 0 ? [`|${env.length}`, ...env] : [];
      return `RUN ${[...prefix, ...args].join(' ')}${BUILDKIT}`;
    }
    case 'COPY':
    case 'ADD':
      // URL credentials (ADD https://user:pw@host/…) never reach the history.
      return `${instr.kind} ${[...instr.sources.map(redactUrl), ...instr.inline.map((s) => `<<${s.path}`), instr.dest].join(' ')}${BUILDKIT}`;
    case 'CMD':
    case 'ENTRYPOINT': {
      const args = instr.command.form === 'shell' ? [...ctx.shell, instr.command.command] : instr.command.args;
      return `${instr.kind} ${goQuoteList(args)}`;
    }
    case 'ENV':
      return `ENV ${instr.env.map((kv) => `${kv.key}=${kv.value}`).join(' ')}`;
    case 'LABEL':
      return `LABEL ${instr.labels.map((kv) => `${kv.key}=${kv.value}`).join(' ')}`;
    case 'ARG':
      return `ARG ${instr.args.map((a) => (a.value === undefined ? a.name : `${a.name}=${a.value}`)).join(' ')}`;
    case 'EXPOSE':
      return `EXPOSE map[${[...new Set(instr.ports.flatMap((p) => p.split(/\s+/)).filter((p) => p !== '').map(normalizePort))].sort().map((p) => `${p}:{}`).join(' ')}]`;
    case 'VOLUME':
      return `VOLUME [${instr.volumes.join(' ')}]`;
    case 'SHELL':
      return `SHELL [${instr.shell.join(' ')}]`;
    case 'USER':
      return `USER ${instr.user}`;
    case 'WORKDIR':
      return `WORKDIR ${instr.path}`;
    case 'STOPSIGNAL':
      return `STOPSIGNAL ${instr.signal}`;
    case 'MAINTAINER':
      return `MAINTAINER ${instr.maintainer}`;
    case 'ONBUILD':
      return `ONBUILD ${instr.expression}`;
    case 'HEALTHCHECK':
      return `HEALTHCHECK &{${goQuoteList(instr.test)} ${goDuration(instr.interval)} ${goDuration(instr.timeout)} ${goDuration(instr.startPeriod)} ${goDuration(instr.startInterval)} '\\x${(instr.retries ?? 0).toString(16).padStart(2, '0')}'}`;
    case 'FROM':
      return `FROM ${instr.image}`;
  }
}

/** `80` → `80/tcp`, `53/UDP` → `53/udp`; a range stays one key as BuildKit prints it. */
function normalizePort(p: string): string {
  const i = p.indexOf('/');
  return i < 0 ? `${p}/tcp` : `${p.slice(0, i)}/${p.slice(i + 1).toLowerCase()}`;
}

/** Go's time.Duration String() for whole-unit durations (`30s`, `5m0s`, `1h0m0s`, `0s`), quoted. */
function goDuration(ns: number | undefined): string {
  const n = ns ?? 0;
  if (n === 0) return '"0s"';
  const totalMs = n / 1e6;
  if (totalMs < 1000) return `"${totalMs}ms"`;
  const s = totalMs / 1000;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = +(s % 60).toFixed(9);
  if (h > 0) return `"${h}h${m}m${sec}s"`;
  if (m > 0) return `"${m}m${sec}s"`;
  return `"${sec}s"`;
}
