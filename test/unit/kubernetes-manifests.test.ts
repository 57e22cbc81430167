// images/kubernetes: the warmer CronJob and the executor Job share one PersistentVolumeClaim;
// the warmer mounts it read-write at its --cache-dir, the executor read-only (volume and mount)
// at its --cache-dir; every argument is one the real CLI parsers accept.
// The manifests use a small YAML subset (block mappings and sequences, plain and quoted scalars,
// `{}`/`[]`), parsed here by a tiny reader instead of a new dependency.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseExecutorArgs } from '../../executor/options.ts';
import { parseWarmerArgs } from '../../warmer/options.ts';

const DIR = join(import.meta.dirname, '..', '..', 'images', 'kubernetes');

type Yaml = string | number | boolean | null | Yaml[] | { [k: string]: Yaml };
interface Line {
  indent: number;
  text: string;
}

function scalar(raw: string): Yaml {
  const s = raw.trim();
  if (s === '{}') return {};
  if (s === '[]') return [];
  if (/^".*"$/.test(s)) return JSON.parse(s) as string;
  if (/^'.*'$/.test(s)) return s.slice(1, -1).replaceAll("''", "'");
  if (s === 'true' || s === 'false') return s === 'true';
  if (s === 'null' || s === '~' || s === '') return null;
  if (/^-?\d+(\.\d+)?$/.test(s)) return Number(s);
  if (/^[[{|>&*!]/.test(s)) throw new Error(`YAML subset: unsupported value ${s}`);
  return s;
}

function stripComment(line: string): string {
  let quote: string | undefined;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote !== undefined) quote = c === quote ? undefined : quote;
    else if (c === '"' || c === "'") quote = c;
    else if (c === '#' && (i === 0 || line[i - 1] === ' ')) return line.slice(0, i);
  }
  return line;
}

function splitKey(text: string): [string, string] | undefined {
  const m = /^([A-Za-z0-9_.\/-]+):(?:\s+(.*))?$/.exec(text);
  return m === null ? undefined : [m[1] as string, m[2] ?? ''];
}

/** Parse the block starting at lines[i] (indent `indent`); returns the value and the next index. */
function block(lines: Line[], i: number, indent: number): [Yaml, number] {
  const first = lines[i];
  if (first === undefined) return [null, i];
  if (first.text === '-' || first.text.startsWith('- ')) {
    const out: Yaml[] = [];
    while (lines[i]?.indent === indent && (lines[i]?.text === '-' || lines[i]?.text.startsWith('- '))) {
      const rest = (lines[i] as Line).text.slice(1).trim();
      if (rest === '') {
        const [v, next] = block(lines, i + 1, lines[i + 1]?.indent ?? indent + 2);
        out.push(v);
        i = next;
      } else if (splitKey(rest) !== undefined) {
        lines[i] = { indent: indent + 2, text: rest }; // `- key: v` opens a mapping at indent+2
        const [v, next] = block(lines, i, indent + 2);
        out.push(v);
        i = next;
      } else {
        out.push(scalar(rest));
        i++;
      }
    }
    return [out, i];
  }
  const map: { [k: string]: Yaml } = {};
  while (lines[i]?.indent === indent) {
    const kv = splitKey((lines[i] as Line).text);
    if (kv === undefined) throw new Error(`YAML subset: cannot read "${lines[i]?.text}"`);
    const [key, rest] = kv;
    const next = lines[i + 1];
    if (rest !== '') {
      map[key] = scalar(rest);
      i++;
    } else if (next !== undefined && (next.indent > indent || (next.indent === indent && next.text.startsWith('- ')))) {
      [map[key], i] = block(lines, i + 1, next.indent);
    } else {
      map[key] = null;
      i++;
    }
  }
  return [map, i];
}

function parseYamlDocuments(text: string): Yaml[] {
  return text
    .split(/^---\s*$/m)
    .map((doc) =>
      doc
        .split('\n')
        .map(stripComment)
        .filter((l) => l.trim() !== '')
        .map((l) => ({ indent: l.length - l.trimStart().length, text: l.trim() })),
    )
    .filter((lines) => lines.length > 0)
    .map((lines) => {
      const [v, end] = block(lines, 0, lines[0]?.indent ?? 0);
      if (end !== lines.length) throw new Error(`YAML subset: stopped at "${lines[end]?.text}"`);
      return v;
    });
}

// ---- the checks ----

type Obj = { [k: string]: any };

function manifests(): Obj[] {
  return readdirSync(DIR)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => parseYamlDocuments(readFileSync(join(DIR, f), 'utf8')) as Obj[]);
}

function byKind(kind: string): Obj {
  const found = manifests().filter((m) => m.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0] as Obj;
}

function cacheMount(podSpec: Obj, container: Obj): { mount: Obj; volume: Obj } {
  const dir = flagValue(container.args as string[], '--cache-dir') ?? '/cache';
  const mount = (container.volumeMounts as Obj[]).find((m) => m.mountPath === dir) as Obj;
  expect(mount, `a volume mounted at --cache-dir ${dir}`).toBeDefined();
  const volume = (podSpec.volumes as Obj[]).find((v) => v.name === mount.name) as Obj;
  expect(volume, `volume ${mount.name}`).toBeDefined();
  return { mount, volume };
}

function flagValue(args: string[], flag: string): string | undefined {
  return args.find((a) => a.startsWith(`${flag}=`))?.slice(flag.length + 1);
}

describe('images/kubernetes', () => {
  it('reads the YAML subset it uses', () => {
    expect(parseYamlDocuments('a: 1\nb:\n  - x: "q # not a comment"\n    y: {}\n  - plain # comment\nc:\n- 2\n---\nd: true\n')).toEqual([
      { a: 1, b: [{ x: 'q # not a comment', y: {} }, 'plain'], c: [2] },
      { d: true },
    ]);
  });

  it('the warmer CronJob writes the claim the executor Job mounts read-only', () => {
    const pvc = byKind('PersistentVolumeClaim');
    const cron = byKind('CronJob');
    const job = byKind('Job');
    expect([pvc.apiVersion, cron.apiVersion, job.apiVersion]).toEqual(['v1', 'batch/v1', 'batch/v1']);

    const warmerPod = cron.spec.jobTemplate.spec.template.spec as Obj;
    const [warmer] = warmerPod.containers as Obj[];
    const w = cacheMount(warmerPod, warmer as Obj);
    expect(w.volume.persistentVolumeClaim.claimName).toBe(pvc.metadata.name);
    expect(w.mount.readOnly ?? false).toBe(false);
    expect(w.volume.persistentVolumeClaim.readOnly ?? false).toBe(false);

    const execPod = job.spec.template.spec as Obj;
    const [executor] = execPod.containers as Obj[];
    const e = cacheMount(execPod, executor as Obj);
    expect(e.volume.persistentVolumeClaim.claimName).toBe(pvc.metadata.name);
    expect(e.mount.readOnly).toBe(true);
    expect(e.volume.persistentVolumeClaim.readOnly).toBe(true);
    expect(pvc.spec.accessModes).toContain('ReadWriteMany');
  });

  it('mounts only volumes that exist, and passes flags the CLIs accept', () => {
    for (const m of manifests().filter((x) => x.kind === 'Job' || x.kind === 'CronJob')) {
      const pod = (m.kind === 'CronJob' ? m.spec.jobTemplate.spec.template.spec : m.spec.template.spec) as Obj;
      const names = new Set((pod.volumes as Obj[]).map((v) => v.name as string));
      for (const c of pod.containers as Obj[]) for (const vm of c.volumeMounts as Obj[]) expect(names.has(vm.name), `${m.kind} mounts ${vm.name}`).toBe(true);
    }
    const [warmer] = byKind('CronJob').spec.jobTemplate.spec.template.spec.containers as Obj[];
    const w = parseWarmerArgs(warmer?.args as string[], {});
    expect(w.cacheDir).toBe('/cache');
    expect(w.prune).toBe(true);
    const [executor] = byKind('Job').spec.template.spec.containers as Obj[];
    const e = parseExecutorArgs(executor?.args as string[], {});
    expect(e.cache.dir).toBe('/cache');
  });
});
