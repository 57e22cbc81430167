// The image Dockerfiles cannot be built here (no Docker engine), so check what can be checked:
// they parse with Kiln's own front end, keep kaniko's contract (/kaniko/executor, DOCKER_CONFIG,
// /workspace, VOLUME /cache), and every file they COPY from the context is let through by the
// Dockerfile's own .dockerignore and exists after `npm run build` and `npm ci`.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDockerfile, loadDockerignore, type Dockerfile, type Instruction } from '../../shared/dockerfile/index.ts';

const ROOT = join(import.meta.dirname, '..', '..');

function stage(df: Dockerfile, name: string): Instruction[] {
  const s = df.stages.find((x) => x.name === name);
  if (s === undefined) throw new Error(`no stage ${name}`);
  return s.instructions;
}

function contextSources(df: Dockerfile): string[] {
  return df.stages.flatMap((s) =>
    s.instructions.flatMap((i) => (i.kind === 'COPY' && i.from === undefined ? i.sources : [])),
  );
}

const images = [
  { name: 'executor', bundle: 'dist/executor.js', entrypoint: ['/kaniko/executor'] },
  { name: 'warmer', bundle: 'dist/warmer.js', entrypoint: undefined },
];

describe.each(images)('images/$name/Dockerfile', ({ name, bundle, entrypoint }) => {
  const file = join(ROOT, 'images', name, 'Dockerfile');

  it('parses and has the release and debug targets', async () => {
    const df = await loadDockerfile(file);
    const names = df.stages.map((s) => s.name);
    expect(names).toContain('debug');
    expect(names.at(-1)).toBe('release'); // the default target is the last stage
  });

  it('copies only context files its .dockerignore lets through and that exist', async () => {
    const df = await loadDockerfile(file);
    const ignore = await loadDockerignore(ROOT, file);
    const sources = contextSources(df);
    expect(sources).toContain(bundle);
    for (const src of sources) {
      expect(ignore.matches(src, { isDir: false }), `${src} is excluded by ${name}/Dockerfile.dockerignore`).toBe(false);
      if (src.startsWith('node_modules/') || src.startsWith('images/')) expect(existsSync(join(ROOT, src)), src).toBe(true);
    }
  });

  it("keeps kaniko's contract", async () => {
    const df = await loadDockerfile(file);
    const main = stage(df, name);
    const envs = main.flatMap((i) => (i.kind === 'ENV' ? i.env.map((kv) => kv.key) : []));
    if (name === 'executor') {
      expect(envs).toContain('DOCKER_CONFIG');
      const ep = main.find((i) => i.kind === 'ENTRYPOINT');
      expect(ep?.kind === 'ENTRYPOINT' && ep.command.form === 'exec' ? ep.command.args : undefined).toEqual(entrypoint);
      expect(main.some((i) => i.kind === 'WORKDIR' && i.path === '/workspace')).toBe(true);
      // kaniko's debug image: /busybox is a volume, so cleaning "/" between stages keeps it.
      expect(stage(df, 'debug').some((i) => i.kind === 'VOLUME' && i.volumes.includes('/busybox'))).toBe(true);
    } else {
      expect(main.some((i) => i.kind === 'VOLUME' && i.volumes.includes('/cache'))).toBe(true);
    }
  });
});
