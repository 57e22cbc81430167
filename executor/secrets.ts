// Build secrets (`--secret id=ID,src=PATH` or `id=ID,env=VAR`, parsed by flag-values.ts) read
// for RUN --mount=type=secret. A value is read only when a RUN asks for it and is never
// logged or put in an error message.
import { readFile } from 'node:fs/promises';
import { KilnError } from '../shared/errors.ts';
import type { SecretSpec } from './flag-values.ts';

export interface SecretSource {
  readonly specs: readonly SecretSpec[];
  /** The executor's environment (for env= secrets). */
  readonly env: NodeJS.ProcessEnv;
}

/** The secret's bytes, or undefined when no --secret gives this id or its source is missing. */
export async function readSecret(source: SecretSource, id: string): Promise<Buffer | undefined> {
  const spec = source.specs.find((s) => s.id === id);
  if (spec === undefined) return undefined;
  if (spec.kind === 'env') {
    const v = source.env[spec.env];
    return v === undefined ? undefined : Buffer.from(v, 'utf8');
  }
  try {
    return await readFile(spec.path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new KilnError('E_IO', `reading secret "${id}" from ${spec.path}: ${code ?? 'error'}`, { cause: e });
  }
}
