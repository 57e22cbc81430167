// ARG and ENV scope inside one stage, as Docker: an `ARG NAME[=default]` takes the
// --build-arg value, else its default, else (redeclared without a default) the meta ARG or
// platform arg value; ENV wins over ARG when expanding; undeclared build args stay invisible,
// except the predefined proxy args, which RUN sees without a declaration (and without history).
import type { ArgInstruction, KeyValue } from '../shared/dockerfile/instructions/types.ts';
import type { EnvGetter } from '../shared/dockerfile/shell/lex.ts';
import type { ConfigFile } from '../shared/image/types.ts';

export const PROXY_ARGS = [
  'HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'FTP_PROXY', 'ftp_proxy', 'NO_PROXY', 'no_proxy', 'ALL_PROXY', 'all_proxy',
] as const;

export interface ScopeInputs {
  buildArgs: ReadonlyMap<string, string>;
  metaArgs: ReadonlyMap<string, string>;
}

export class StageScope {
  readonly #inputs: ScopeInputs;
  readonly #args = new Map<string, string | undefined>();

  constructor(inputs: ScopeInputs) {
    this.#inputs = inputs;
  }

  /** Declare the ARGs of an (already expanded) ARG instruction. */
  declare(instr: ArgInstruction): void {
    for (const a of instr.args) {
      const value = this.#inputs.buildArgs.get(a.name) ?? a.value ?? this.#inputs.metaArgs.get(a.name);
      this.#args.delete(a.name); // a redeclaration moves to the end, as Docker's ordered list
      this.#args.set(a.name, value);
    }
  }

  /** Variable lookup for expansion: the image's ENV first, then the ARGs in scope. */
  getter(config: ConfigFile): EnvGetter {
    const env = config.config.Env ?? [];
    return (name) => {
      const hit = env.find((e) => e.startsWith(`${name}=`));
      if (hit !== undefined) return hit.slice(name.length + 1);
      return this.#args.get(name);
    };
  }

  /** Declared ARGs that have a value, in order (for RUN's env and its history line). */
  declared(): KeyValue[] {
    const out: KeyValue[] = [];
    for (const [key, value] of this.#args) if (value !== undefined) out.push({ key, value });
    return out;
  }

  /** Proxy build args given with --build-arg but not declared: RUN sees them, history does not. */
  proxies(): KeyValue[] {
    return PROXY_ARGS.filter((k) => !this.#args.has(k) && this.#inputs.buildArgs.has(k)).map((k) => ({
      key: k,
      value: this.#inputs.buildArgs.get(k) as string,
    }));
  }
}
