// Golden tests over test/fixtures/dockerfile/<case>/ (BuildKit testfiles style):
//   Dockerfile     the input
//   expected.json  the parsed Instruction[] (df.instructions)
//   error.txt      for error-<case>: the exact error message (file:line: message)
//   meta.json      the parser directives and warnings, when they are not the defaults
//   build.json     optional { buildArgs, environ, target, platform }: then resolved.json holds
//                  every stage's (or --target's stages') instructions expanded through the ARG/ENV scopes, the RUN
//                  environments, the stages --target needs and the external base images.
// KILN_UPDATE_GOLDEN=1 rewrites expected.json / resolved.json / error.txt (review the diff!).
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  baseImagesOf, createStageScope, expandFrom, parseBuildArgs, parseDockerfile, resolveGlobalScope, stagesNeeded,
  unusedBuildArgs, type Dockerfile, type Platforms,
} from './index.ts';

const ROOT = fileURLToPath(new URL('../../test/fixtures/dockerfile/', import.meta.url));
const UPDATE = process.env['KILN_UPDATE_GOLDEN'] === '1';

interface BuildSpec {
  buildArgs?: string[];
  environ?: Record<string, string>;
  target?: string;
  platform?: string;
}

function platformOf(s = 'linux/amd64'): Platforms['target'] {
  const [os = 'linux', architecture = 'amd64', variant] = s.split('/');
  return variant ? { os, architecture, variant } : { os, architecture };
}

function resolve(df: Dockerfile, spec: BuildSpec): unknown {
  const buildArgs = parseBuildArgs(spec.buildArgs ?? [], spec.environ ?? {});
  const platforms: Platforms = { target: platformOf(spec.platform), build: platformOf() };
  const global = resolveGlobalScope(df, { buildArgs, platforms });
  const needed = stagesNeeded(df, spec.target, { buildArgs, platforms });
  const shown = spec.target === undefined ? df.stages : needed;
  const stages = shown.map((stage) => {
    const scope = createStageScope({ global });
    const steps = stage.instructions.map((instr) => {
      const out = scope.advance(instr);
      const { loc, raw: _raw, ...fields } = out;
      return instr.kind === 'RUN' ? { line: loc.start, ...fields, runEnv: scope.runEnv() } : { line: loc.start, ...fields };
    });
    return { index: stage.index, name: stage.name, from: expandFrom(stage.from, global).image, steps };
  });
  return {
    global: Object.fromEntries(global.values),
    stagesNeeded: needed.map((s) => s.name ?? s.index),
    baseImages: baseImagesOf(df, { buildArgs, platforms, ...(spec.target ? { target: spec.target } : {}) }),
    unusedBuildArgs: unusedBuildArgs(df, buildArgs),
    stages,
  };
}

function golden(file: string, actual: string): void {
  if (UPDATE || !existsSync(file)) {
    writeFileSync(file, actual);
    if (!UPDATE) throw new Error(`${file} was missing and has been written: review it and run again`);
    return;
  }
  expect(actual).toBe(readFileSync(file, 'utf8'));
}

const cases = readdirSync(ROOT, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();

describe('Dockerfile golden fixtures', () => {
  it('has fixtures', () => expect(cases.length).toBeGreaterThan(20));

  for (const name of cases) {
    const dir = path.join(ROOT, name);
    it(name, () => {
      const text = readFileSync(path.join(dir, 'Dockerfile'), 'utf8');
      const errorFile = path.join(dir, 'error.txt');
      const buildFile = path.join(dir, 'build.json');
      const spec = existsSync(buildFile) ? (JSON.parse(readFileSync(buildFile, 'utf8')) as BuildSpec) : undefined;
      let df: Dockerfile;
      let resolved: unknown;
      try {
        df = parseDockerfile(text);
        if (spec) resolved = resolve(df, spec);
      } catch (e) {
        if (!name.startsWith('error-')) throw e;
        golden(errorFile, `${(e as Error).message}\n`);
        return;
      }
      expect(name.startsWith('error-'), `${name} parsed but an error- fixture must fail`).toBe(false);
      golden(path.join(dir, 'expected.json'), `${JSON.stringify(df.instructions, null, 2)}\n`);
      const meta = { directives: df.directives, warnings: df.warnings };
      const metaFile = path.join(dir, 'meta.json');
      if (df.directives.escape === '\\' && Object.keys(df.directives).length === 1 && df.warnings.length === 0) {
        expect(existsSync(metaFile), `${name}: meta.json exists but directives and warnings are the defaults`).toBe(false);
      } else golden(metaFile, `${JSON.stringify(meta, null, 2)}\n`);
      if (spec) golden(path.join(dir, 'resolved.json'), `${JSON.stringify(resolved, null, 2)}\n`);
    });
  }
});
