// Variable expansion of an instruction, only where Docker applies it: ADD COPY ENV EXPOSE FROM
// LABEL STOPSIGNAL USER VOLUME WORKDIR ARG and the flags --chown --chmod --from --platform
// --checksum --exclude and --mount values. RUN, CMD, ENTRYPOINT, SHELL, HEALTHCHECK,
// MAINTAINER and ONBUILD are returned unchanged: the shell (or the child build) sees them.
import { DockerfileError, isKilnError } from '../errors.ts';
import { validateChmod } from './instructions/chmod.ts';
import { parseMount } from './instructions/mount.ts';
import type { AddInstruction, CopyInstruction, InlineSource, Instruction } from './instructions/types.ts';
import { processWord, processWords, type EnvGetter } from './shell/lex.ts';

export interface ExpandOptions {
  /** The Dockerfile's escape token (`Dockerfile.directives.escape`); default `\`. */
  escapeToken?: string;
  /** For error messages; default `Dockerfile`. */
  file?: string;
}

type Word = (s: string) => string;

/** A new instruction with its expandable fields expanded from `env`. Never mutates `instr`. */
export function expandInstruction<I extends Instruction>(instr: I, env: EnvGetter, opts: ExpandOptions = {}): I {
  const lexOpts = { escapeToken: opts.escapeToken ?? '\\' };
  const word: Word = (s) => processWord(s, env, lexOpts);
  const words = (s: string): string[] => processWords(s, env, lexOpts);
  try {
    return expandKind(structuredClone(instr), { word, words, env }) as I;
  } catch (e) {
    if (e instanceof DockerfileError) throw e;
    const message = isKilnError(e) || e instanceof Error ? e.message : String(e);
    throw new DockerfileError('E_DOCKERFILE', message, { file: opts.file ?? 'Dockerfile', ...instr.loc }, { cause: e });
  }
}

interface Expanders {
  word: Word;
  words: (s: string) => string[];
  env: EnvGetter;
}

const opt = (w: Word, v: string | undefined): string | undefined => (v === undefined ? undefined : w(v));

function expandKind(i: Instruction, x: Expanders): Instruction {
  const { word } = x;
  switch (i.kind) {
    case 'FROM': {
      const written = i.image;
      i.image = word(written);
      if (i.image === '') throw new Error(`base name (${written}) should not be blank`);
      if (i.platform !== undefined) i.platform = word(i.platform);
      return i;
    }
    case 'ENV':
      i.env = i.env.map((kv) => ({ key: word(kv.key), value: word(kv.value) }));
      return i;
    case 'LABEL':
      i.labels = i.labels.map((kv) => ({ key: word(kv.key), value: word(kv.value) }));
      return i;
    case 'ARG':
      i.args = i.args.map((a) => (a.value === undefined ? a : { name: a.name, value: word(a.value) }));
      return i;
    case 'EXPOSE':
      i.ports = i.ports.flatMap((p) => x.words(p));
      return i;
    case 'VOLUME':
      i.volumes = i.volumes.map(word);
      return i;
    case 'USER':
      i.user = word(i.user);
      return i;
    case 'WORKDIR':
      i.path = word(i.path);
      return i;
    case 'STOPSIGNAL':
      i.signal = word(i.signal);
      return i;
    case 'COPY':
      expandCopyLike(i, x);
      if (i.from !== undefined) i.from = word(i.from);
      return i;
    case 'ADD':
      expandCopyLike(i, x);
      if (i.checksum !== undefined) i.checksum = word(i.checksum);
      return i;
    case 'RUN':
      i.mounts = i.mounts.map((m) => parseMount(m.spec, { expand: word }));
      return i;
    default:
      return i;
  }
}

function expandCopyLike(i: CopyInstruction | AddInstruction, x: Expanders): void {
  const { word } = x;
  i.sources = i.sources.map(word);
  i.dest = word(i.dest);
  i.inline = i.inline.map((s) => expandInline(s, x.env));
  i.exclude = i.exclude.map(word);
  const chown = opt(word, i.chown);
  if (chown !== undefined) i.chown = chown;
  const chmod = opt(word, i.chmod);
  if (chmod !== undefined) {
    validateChmod(chmod);
    i.chmod = chmod;
  }
}

/** Heredoc bodies keep their quotes: only `$` and `\` are processed (BuildKit ExpandRaw). */
function expandInline(s: InlineSource, env: EnvGetter): InlineSource {
  if (!s.expand) return s;
  return { ...s, data: processWord(s.data, env, { skipProcessQuotes: true }) };
}
