// COPY and ADD (BuildKit parseCopy / parseAdd / parseSourcesAndDest).
import { chompHeredoc, mustParseHeredocMarker as parseHeredocMarker } from '../parser/heredoc.ts';
import { validateChmod } from './chmod.ts';
import { parseList } from './command-form.ts';
import { base, defined, fail, flagsOf, located, stringFlag, type ParseRequest } from './parse-context.ts';
import type { AddInstruction, CopyInstruction, InlineSource } from './types.ts';

const COPY_FLAGS = { from: 'string', chown: 'string', chmod: 'string', link: 'bool', parents: 'bool', exclude: 'strings' } as const;
const ADD_FLAGS = {
  chown: 'string', chmod: 'string', link: 'bool', exclude: 'strings', 'keep-git-dir': 'bool', checksum: 'string', unpack: 'bool',
} as const;

function sourcesAndDest(req: ParseRequest): { sources: string[]; inline: InlineSource[]; dest: string } {
  const { args } = located(req, () => parseList(req.node.rest));
  if (args.length < 2) {
    fail(req, `${req.name} requires at least two arguments, but only one was provided. Destination could not be determined`);
  }
  const dest = args[args.length - 1] as string;
  if (parseHeredocMarker(dest)) fail(req, `${req.name} cannot accept a heredoc as a destination`);
  const sources: string[] = [];
  const inline: InlineSource[] = [];
  for (const src of args.slice(0, -1)) {
    const marker = parseHeredocMarker(src);
    if (!marker) {
      sources.push(src);
      continue;
    }
    const doc = req.node.heredocs.find((h) => h.name === marker.name);
    const content = doc?.content ?? '';
    inline.push({ path: marker.name, data: marker.chomp ? chompHeredoc(content) : content, expand: marker.expand });
  }
  return { sources, inline, dest };
}

function checkChmod(req: ParseRequest, chmod: string | undefined): void {
  if (chmod !== undefined && !chmod.includes('$')) located(req, () => validateChmod(chmod));
}

export function parseCopy(req: ParseRequest): CopyInstruction {
  const flags = flagsOf(req, COPY_FLAGS);
  const sd = sourcesAndDest(req);
  const chmod = stringFlag(flags, 'chmod');
  checkChmod(req, chmod);
  return defined({
    kind: 'COPY',
    ...base(req),
    ...sd,
    from: stringFlag(flags, 'from'),
    chown: stringFlag(flags, 'chown'),
    chmod,
    link: flags.bools.get('link') ?? false,
    parents: flags.bools.get('parents') ?? false,
    exclude: flags.lists.get('exclude') ?? [],
  } satisfies CopyInstruction);
}

export function parseAdd(req: ParseRequest): AddInstruction {
  const flags = flagsOf(req, ADD_FLAGS);
  const sd = sourcesAndDest(req);
  const chmod = stringFlag(flags, 'chmod');
  checkChmod(req, chmod);
  return defined({
    kind: 'ADD',
    ...base(req),
    ...sd,
    chown: stringFlag(flags, 'chown'),
    chmod,
    link: flags.bools.get('link') ?? false,
    exclude: flags.lists.get('exclude') ?? [],
    keepGitDir: flags.bools.get('keep-git-dir') ?? false,
    checksum: stringFlag(flags, 'checksum'),
    unpack: flags.bools.get('unpack'),
  } satisfies AddInstruction);
}
