// ARG and ENV scope inside one stage: shared/dockerfile's createStageScope decides what an
// `ARG NAME[=default]` holds (--build-arg, else its default, else the meta ARG or platform arg);
// here it meets the image config the steps build: ENV (from the config, which ENV steps and
// ONBUILD triggers change) wins over ARG when expanding; the predefined proxy args reach RUN
// without a declaration (and without history).
import {
  createStageScope, PROXY_ARGS, type ArgInstruction, type EnvGetter, type GlobalScope, type KeyValue,
  type StageScope as SharedScope,
} from '../shared/dockerfile/index.ts';
import type { ConfigFile } from '../shared/image/types.ts';

export interface ScopeInputs {
  global: GlobalScope;
}

export class StageScope {
  readonly #global: GlobalScope;
  readonly #shared: SharedScope;

  constructor(inputs: ScopeInputs) {
    this.#global = inputs.global;
    this.#shared = createStageScope({ global: inputs.global });
  }

  /** Declare the ARGs of an (already expanded) ARG instruction. */
  declare(instr: ArgInstruction): void {
    this.#shared.declareArg(instr);
  }

  /** Variable lookup for expansion: the image's ENV first, then the ARGs in scope. */
  getter(config: ConfigFile): EnvGetter {
    const env = config.config.Env ?? [];
    const args = new Map(this.#shared.args().map((a) => [a.key, a.value]));
    return (name) => {
      const hit = env.find((e) => e.startsWith(`${name}=`));
      if (hit !== undefined) return hit.slice(name.length + 1);
      return args.get(name);
    };
  }

  /** Declared ARGs that have a value, in order (for RUN's env and its history line). */
  declared(): KeyValue[] {
    return this.#shared.args();
  }

  /** Proxy build args given with --build-arg but not declared: RUN sees them, history does not. */
  proxies(): KeyValue[] {
    const declared = new Set(this.#shared.args().map((a) => a.key));
    return PROXY_ARGS.filter((k) => !declared.has(k) && this.#global.buildArgs.has(k)).map((k) => ({
      key: k,
      value: this.#global.buildArgs.get(k) as string,
    }));
  }
}
