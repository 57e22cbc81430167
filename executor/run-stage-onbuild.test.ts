import { describe, expect, it } from 'vitest';
import { silentLogger } from '../shared/log.ts';
import type { ConfigFile } from '../shared/image/types.ts';
import { onbuildTriggers } from './run-stage-onbuild.ts';

const cfg = (OnBuild?: string[]): ConfigFile => ({ architecture: 'amd64', os: 'linux', config: OnBuild ? { OnBuild } : {}, rootfs: { type: 'layers', diff_ids: [] } });

describe('onbuildTriggers', () => {
  it('parses each trigger of the base into an instruction, in order', () => {
    const got = onbuildTriggers(cfg(['RUN echo "built on $X"', 'COPY --chown=1:1 a /b/', 'ENV A=1']), { baseName: 'base', logger: silentLogger });
    expect(got.map((i) => i.kind)).toEqual(['RUN', 'COPY', 'ENV']);
    expect(got[0]?.raw).toBe('RUN echo "built on $X"');
    expect(got[1]).toMatchObject({ kind: 'COPY', sources: ['a'], dest: '/b/', chown: '1:1' });
  });

  it('no triggers: nothing; a forbidden trigger is a Dockerfile error', () => {
    expect(onbuildTriggers(cfg(), { baseName: 'base', logger: silentLogger })).toEqual([]);
    expect(() => onbuildTriggers(cfg(['FROM x']), { baseName: 'base', logger: silentLogger })).toThrow(/FROM isn't allowed as an ONBUILD trigger/);
  });
});
