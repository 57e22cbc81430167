// What to warm: the --image references, then the external images of --dockerfile (FROM,
// COPY --from, RUN --mount from=) with meta ARG defaults and --build-arg applied; stages and
// scratch are not pulled. Duplicates (after normalisation) are warmed once.
import { readFile } from 'node:fs/promises';
import { baseImagesOf, parseDockerfile } from '../shared/dockerfile/index.ts';
import { KilnError } from '../shared/errors.ts';
import type { Platform } from '../shared/image/types.ts';
import { isScratch, parseReference, type Reference } from '../shared/reference/index.ts';

export interface Target {
  /** As given (for messages). */
  input: string;
  /** Where it came from: `--image` or the Dockerfile path. */
  from: string;
  /** The parsed reference, or the parse error (reported with the others at the end). */
  ref?: Reference;
  error?: unknown;
}

export interface TargetOptions {
  images: readonly string[];
  dockerfile?: string | undefined;
  buildArgs: Readonly<Record<string, string>>;
  platform: Platform;
  buildPlatform: Platform;
}

export async function targetsOf(o: TargetOptions): Promise<Target[]> {
  const inputs: { input: string; from: string }[] = o.images.map((input) => ({ input, from: '--image' }));
  if (o.dockerfile !== undefined) {
    const df = parseDockerfile(await readDockerfile(o.dockerfile), { file: o.dockerfile });
    const images = baseImagesOf(df, {
      buildArgs: new Map(Object.entries(o.buildArgs)),
      platforms: { target: o.platform, build: o.buildPlatform },
    });
    inputs.push(...images.map((input) => ({ input, from: o.dockerfile as string })));
  }
  const seen = new Set<string>();
  const out: Target[] = [];
  for (const { input, from } of inputs) {
    if (isScratch(input)) continue;
    try {
      const ref = parseReference(input);
      if (seen.has(ref.toString())) continue;
      seen.add(ref.toString());
      out.push({ input, from, ref });
    } catch (error) {
      out.push({ input, from, error });
    }
  }
  return out;
}

async function readDockerfile(where: string): Promise<string> {
  try {
    if (/^https?:\/\//i.test(where)) {
      const res = await fetch(where, { signal: AbortSignal.timeout(60_000) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      return await res.text();
    }
    return await readFile(where, 'utf8');
  } catch (cause) {
    throw new KilnError('E_USAGE', `reading Dockerfile ${where}: ${(cause as Error).message}`, {
      cause,
      hint: 'check the --dockerfile path',
    });
  }
}
