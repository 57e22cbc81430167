// Which steps the layer cache stores, and how each step moves the key chain on:
//   cached     looked up before it runs and stored after (RUN with --cache-run-layers, COPY/ADD
//              with --cache-copy-layers, as kaniko);
//   keyed      runs every time, its key comes from its inputs like a cached step's
//              (metadata steps, WORKDIR, and RUN/COPY when their kind is not cached);
//              a RUN --mount=type=bind of the build context hashes the bound files as COPY does;
//   by-result  its inputs cannot be hashed here (COPY --from, ADD of a URL without --checksum,
//              RUN --mount=type=bind,from=…): it runs every time and the chain goes on from the
//              diff_id of the layer it made, so later steps still hit when it made the same.
import type { Instruction } from '../../shared/dockerfile/instructions/types.ts';

export type StepPolicy =
  | { kind: 'cached'; sources?: readonly string[] }
  | { kind: 'keyed'; sources?: readonly string[] }
  | { kind: 'by-result'; why: string };

export interface PolicyFlags {
  runLayers: boolean;
  copyLayers: boolean;
}

const REMOTE = /^[a-z][a-z0-9+.-]*:\/\//i;

export function policyFor(instr: Exclude<Instruction, { kind: 'FROM' }>, flags: PolicyFlags): StepPolicy {
  switch (instr.kind) {
    case 'RUN': {
      const binds = instr.mounts.filter((m) => m.type === 'bind');
      if (binds.some((m) => m.from !== undefined)) return { kind: 'by-result', why: 'RUN --mount=type=bind,from=…' };
      // A bind of the build context: its files are hashed like COPY sources (after .dockerignore).
      const sources = binds.map((m) => m.source ?? '.');
      return { kind: flags.runLayers ? 'cached' : 'keyed', ...(sources.length > 0 ? { sources } : {}) };
    }
    case 'COPY':
      if (instr.from !== undefined) return { kind: 'by-result', why: 'COPY --from' };
      return { kind: flags.copyLayers ? 'cached' : 'keyed', sources: instr.sources };
    case 'ADD': {
      const remote = instr.sources.filter((s) => REMOTE.test(s) || s.startsWith('git@'));
      if (remote.length > 0 && instr.checksum === undefined) return { kind: 'by-result', why: 'ADD of a remote source without --checksum' };
      // With --checksum the remote content is pinned by the instruction itself.
      return { kind: flags.copyLayers ? 'cached' : 'keyed', sources: instr.sources.filter((s) => !remote.includes(s)) };
    }
    default:
      return { kind: 'keyed' };
  }
}
