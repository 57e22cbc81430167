import { failure } from '../test/helpers/kiln-failure.ts';
import { describe, expect, it } from 'vitest';
import { parseContextSource, parseGitOptions } from './flag-values.ts';
import { executorFlagSpecs } from './flags.ts';
import { type ExecutorOptions, notImplementedFlags, parseExecutorArgs } from './options.ts';

const CWD = '/work/space';
const parse = (argv: string[], env: NodeJS.ProcessEnv = {}): ExecutorOptions => parseExecutorArgs(argv, env, { cwd: CWD });
/** The minimum a build needs: kaniko requires --destination or --no-push. */
const run = (...argv: string[]): ExecutorOptions => parse(['--no-push', ...argv]);


describe('parseExecutorArgs defaults', () => {
  it('uses kaniko defaults', () => {
    const o = run();
    expect(o.dockerfile).toBe('Dockerfile');
    expect(o.context.source).toEqual({ kind: 'dir', path: '/workspace' });
    expect(o.cache).toMatchObject({ enabled: false, dir: '/cache', ttlMs: 336 * 3600_000, runLayers: true, copyLayers: false, compressed: true });
    expect(o.cache.mountDir).toBe('/cache/mounts');
    expect(o.snapshot).toEqual({ mode: 'full', single: false, ignorePaths: [], ignoreVarRun: true });
    expect(o.layer).toEqual({ compression: 'gzip' });
    expect(o.root).toEqual({ dir: '/', force: false, kanikoDir: '/kaniko', extractRetry: 0, cleanup: false, materialize: false });
    expect(o.log).toEqual({ format: 'text', level: 'info', timestamp: false });
    expect(o.registry.pushRetry).toBe(0);
    expect(o.platform).toBeUndefined();
    expect(o.target).toBeUndefined();
    expect(o.notes).toEqual([]);
  });

  it('freezes the options deeply', () => {
    const o = run('--destination', 'r/a', '--label', 'a=b');
    expect(Object.isFrozen(o)).toBe(true);
    expect(Object.isFrozen(o.output.destinations)).toBe(true);
    expect(Object.isFrozen(o.registry)).toBe(true);
    expect(() => (o.labels as Record<string, string>).x = 'y').toThrow(TypeError);
  });

  it('colors logs by default only on a terminal', () => {
    expect(parseExecutorArgs(['--no-push'], {}, { stderrIsTTY: true }).log.format).toBe('color');
    expect(parseExecutorArgs(['--no-push', '--log-format=text'], {}, { stderrIsTTY: true }).log.format).toBe('text');
  });
});

describe('flag syntax (pflag compatible)', () => {
  it('takes long, short, = and attached short forms', () => {
    expect(run('--dockerfile', 'a/Dockerfile').dockerfile).toBe('a/Dockerfile');
    expect(run('--dockerfile=b').dockerfile).toBe('b');
    expect(run('-f', 'c').dockerfile).toBe('c');
    expect(run('-fd').dockerfile).toBe('d');
    expect(run('-f=e').dockerfile).toBe('e');
  });

  it('takes a value that starts with a dash, as pflag does', () => {
    expect(run('--target', '-weird').target).toBe('-weird');
    expect(run('--compression-level', '-1').layer).toEqual({ compression: 'gzip' });
  });

  it('reads booleans as --flag, --flag=true|false and Go spellings', () => {
    expect(run('--reproducible').reproducible).toBe(true);
    expect(run('--reproducible=true').reproducible).toBe(true);
    expect(run('--reproducible=false').reproducible).toBe(false);
    expect(run('--reproducible=1').reproducible).toBe(true);
    expect(run('--reproducible=T').reproducible).toBe(true);
    expect(run('--ignore-var-run=false').snapshot.ignoreVarRun).toBe(false);
    expect(run('--cache-run-layers=0').cache.runLayers).toBe(false);
    expect(parse(['--no-push=false', '-d', 'x']).output.noPush).toBe(false);
  });

  it('lets the last of a repeated single-value flag win', () => {
    expect(run('-f', 'one', '-f', 'two').dockerfile).toBe('two');
    expect(run('--reproducible', '--reproducible=false').reproducible).toBe(false);
  });

  it('collects repeatable flags in order', () => {
    const o = parse(['-d', 'r/a:1', '--destination', 'r/a:2', '--destination=r/b']);
    expect(o.output.destinations).toEqual(['r/a:1', 'r/a:2', 'r/b']);
    expect(run('--ignore-path', '/a', '--ignore-path=/b').snapshot.ignorePaths).toEqual(['/a', '/b']);
  });

  it('does not treat --no-push as the negation of a "push" flag', () => {
    expect(run().output.noPush).toBe(true);
    expect(run('--no-push-cache').cache.noPush).toBe(true);
  });

  it('rejects unknown flags, naming them', () => {
    expect(failure(() => run('--bogus'))).toEqual({ code: 'E_USAGE', message: 'unknown flag --bogus' });
    expect(failure(() => run('-Z')).message).toBe('unknown flag -Z');
    expect(failure(() => run('--contextt=/x')).message).toBe('unknown flag --contextt');
    expect(failure(() => run('--dockerFile=x')).message).toBe('unknown flag --dockerFile');
  });

  it('rejects positional arguments and dangling values', () => {
    expect(failure(() => run('Dockerfile')).message).toMatch(/unexpected argument "Dockerfile"/);
    expect(failure(() => run('--cache', 'false')).message).toMatch(/--flag=false/);
    expect(failure(() => run('--dockerfile'))).toEqual({ code: 'E_USAGE', message: 'flag --dockerfile needs a value' });
  });

  it('rejects a bad boolean, choice or number, naming the flag', () => {
    expect(failure(() => run('--cache=yes')).message).toBe('invalid --cache value "yes": expected true or false');
    expect(failure(() => run('--snapshot-mode=fast')).message).toBe('invalid --snapshot-mode value "fast": expected one of full, redo, time');
    expect(failure(() => run('--verbosity', 'loud')).message).toMatch(/--verbosity value "loud": expected one of trace, debug, info/);
    expect(failure(() => run('--log-format', 'xml')).message).toMatch(/--log-format value "xml": expected one of text, color, json/);
    expect(failure(() => run('--push-retry', 'two')).message).toBe('invalid --push-retry value "two": expected an integer >= 0');
    expect(failure(() => run('--push-retry', '-1')).code).toBe('E_USAGE');
    expect(failure(() => run('--compression=lz4')).message).toMatch(/--compression value "lz4": expected one of gzip, zstd/);
  });
});

describe('values', () => {
  it('parses Go durations for --cache-ttl', () => {
    expect(run('--cache-ttl', '6h').cache.ttlMs).toBe(6 * 3600_000);
    expect(run('--cache-ttl=1h30m').cache.ttlMs).toBe(90 * 60_000);
    expect(run('--cache-ttl=1.5h').cache.ttlMs).toBe(90 * 60_000);
    expect(run('--cache-ttl=500ms').cache.ttlMs).toBe(500);
    expect(run('--cache-ttl=0').cache.ttlMs).toBe(0);
    for (const bad of ['6', '6x', 'h', '-1h', '1h-30m', '']) {
      expect(failure(() => run(`--cache-ttl=${bad}`)).message, bad).toMatch(/--cache-ttl value "[^"]*": expected a duration/);
    }
  });

  it('reads build args as KEY=VALUE or KEY from the environment, as Docker', () => {
    const o = parse(['--no-push', '--build-arg', 'A=1', '--build-arg=B=x=y', '--build-arg', 'FROM_ENV', '--build-arg', 'UNSET', '--build-arg', 'E='], {
      FROM_ENV: 'env-value',
    });
    expect(o.buildArgs).toEqual({ A: '1', B: 'x=y', FROM_ENV: 'env-value', E: '' });
    expect(failure(() => run('--build-arg', '=v')).message).toMatch(/--build-arg value "[^"]*": expected KEY=VALUE or KEY/);
  });

  it('reads labels and rejects one without =', () => {
    expect(run('--label', 'a=1', '--label', 'b=two=2', '--label', 'a=3').labels).toEqual({ a: '3', b: 'two=2' });
    expect(failure(() => run('--label', 'novalue')).message).toBe('invalid --label value "novalue": expected KEY=VALUE');
  });

  it('parses --custom-platform and its deprecated spelling', () => {
    expect(run('--custom-platform', 'linux/arm64/v8').platform).toEqual({ os: 'linux', architecture: 'arm64', variant: 'v8' });
    const o = run('--customPlatform=linux/amd64');
    expect(o.platform).toEqual({ os: 'linux', architecture: 'amd64' });
    expect(o.notes).toContainEqual({ level: 'warn', message: 'flag --customPlatform is deprecated: use --custom-platform' });
    expect(failure(() => run('--custom-platform', 'linux')).message).toMatch(/--custom-platform value "linux": expected a platform/);
  });

  it('checks --compression-level against the algorithm', () => {
    expect(run('--compression=zstd', '--compression-level=19').layer).toEqual({ compression: 'zstd', compressionLevel: 19 });
    expect(run('--compression-level=9').layer).toEqual({ compression: 'gzip', compressionLevel: 9 });
    expect(failure(() => run('--compression-level=12')).message).toMatch(/--compression-level value "12": expected an integer from -1 to 9/);
    expect(failure(() => run('--compression=zstd', '--compression-level=0')).message).toMatch(/expected -1 or 1 to 22 for zstd/);
  });

  it('resolves paths against the working directory', () => {
    const o = run('-c', 'ctx', '--context-sub-path', 'sub', '--tar-path', 'out/image.tar', '--cache-dir', 'c', '--root-dir', 'root');
    expect(o.context.source).toEqual({ kind: 'dir', path: '/work/space/ctx/sub' });
    expect(o.context.subPath).toBe('sub');
    expect(o.output.tarPath).toBe('/work/space/out/image.tar');
    expect(o.cache).toMatchObject({ dir: '/work/space/c', mountDir: '/work/space/c/mounts' });
    expect(o.root.dir).toBe('/work/space/root');
    expect(run('--cache-mount-dir=/m').cache.mountDir).toBe('/m');
    expect(run('--context=dir:///src').context.source).toEqual({ kind: 'dir', path: '/src' });
    expect(run('--tarPath=t.tar').output.tarPath).toBe('/work/space/t.tar');
  });

  it('classifies remote contexts and rejects unknown schemes', () => {
    for (const [url, kind] of [['git://github.com/o/r.git', 'git'], ['s3://b/ctx.tgz', 's3'], ['gs://b/c.tgz', 'gs'], ['tar://stdin', 'tar'], ['https://host/c.tgz', 'https']]) {
      expect(parseContextSource(url as string, CWD)).toEqual({ kind, url });
    }
    expect(failure(() => run('--context', 'ftp://x/y')).message).toMatch(/invalid --context value "ftp:\/\/x\/y": expected a directory or one of dir:\/\//);
  });

  it('reads --git options', () => {
    expect(parseGitOptions(['branch=main,single-branch=true', 'recurse-submodules=1'])).toEqual({
      branch: 'main',
      singleBranch: true,
      recurseSubmodules: true,
      insecureSkipTls: false,
    });
    expect(failure(() => run('--git', 'depth=1')).message).toMatch(/invalid --git value "depth=1"/);
  });

  it('parses --secret in BuildKit syntax without reading the values', () => {
    const o = run('--secret', 'id=npm,src=.npmrc', '--secret', 'id=tok,env=GH_TOKEN', '--secret=type=env,id=AWS', '--secret', 'id=X');
    expect(o.secrets).toEqual([
      { id: 'npm', kind: 'file', path: '/work/space/.npmrc' },
      { id: 'tok', kind: 'env', env: 'GH_TOKEN' },
      { id: 'AWS', kind: 'env', env: 'AWS' },
      { id: 'X', kind: 'file', path: '/work/space/X' },
    ]);
    expect(parse(['--no-push', '--secret', 'id=X'], { X: 'v' }).secrets).toEqual([{ id: 'X', kind: 'env', env: 'X' }]);
    expect(failure(() => run('--secret', 'src=a')).message).toMatch(/--secret value "[^"]*": expected id=ID/);
    expect(failure(() => run('--secret', 'id=a,src=b,env=C')).message).toMatch(/either src= or env=/);
    expect(failure(() => run('--secret', 'id=a,mode=0400')).code).toBe('E_USAGE');
    expect(failure(() => run('--secret', 'id=a,src=b', '--secret', 'id=a,env=B')).message).toMatch(/given twice/);
  });
});

describe('registry flags', () => {
  it('fills RegistryOptions, with kaniko environment fallbacks appended', () => {
    const o = parse(
      [
        '-d', 'r/x',
        '--insecure', '--insecure-pull', '--skip-tls-verify-pull',
        '--insecure-registry', 'a:5000', '--insecure-registry=b:5000',
        '--skip-tls-verify-registry', 'c',
        '--registry-certificate', 'reg.io=/ca.pem',
        '--registry-client-cert', 'reg.io=/c.pem,/k.pem',
        '--registry-mirror', 'm1', '--registry-map', 'index.docker.io=m2;quay.io=q1', '--registry-map=quay.io=q2',
        '--skip-default-registry-fallback', '--image-download-retry=3', '--push-retry', '2',
        '--credential-helpers', 'ecr', '--credential-helpers=',
      ],
      { KANIKO_REGISTRY_MIRROR: 'env-mirror', KANIKO_REGISTRY_MAP: 'ghcr.io=g1' },
    );
    expect(o.registry).toEqual({
      insecure: true,
      pushIgnoreImmutableTagErrors: false,
      insecurePull: true,
      insecureRegistries: ['a:5000', 'b:5000'],
      skipTlsVerify: false,
      skipTlsVerifyPull: true,
      skipTlsVerifyRegistries: ['c'],
      registryCertificates: { 'reg.io': '/ca.pem' },
      registryClientCerts: { 'reg.io': { cert: '/c.pem', key: '/k.pem' } },
      registryMirrors: ['m1', 'env-mirror'],
      registryMaps: { 'index.docker.io': ['m2'], 'quay.io': ['q1', 'q2'], 'ghcr.io': ['g1'] },
      skipDefaultRegistryFallback: true,
      imageDownloadRetry: 3,
      pushRetry: 2,
      credentialHelpers: ['ecr'],
    });
  });

  it('rejects malformed registry values', () => {
    expect(failure(() => run('--registry-client-cert', 'reg.io=/c.pem')).message).toMatch(/--registry-client-cert value "[^"]*": expected REGISTRY=\/path\/to\/cert,\/path\/to\/key/);
    expect(failure(() => run('--registry-certificate', '/ca.pem')).message).toMatch(/invalid --registry-certificate value/);
    expect(failure(() => run('--registry-map', 'quay.io')).message).toMatch(/invalid --registry-map value/);
  });
});

describe('environment', () => {
  it('takes KANIKO_DIR unless --kaniko-dir is given', () => {
    expect(parse(['--no-push'], { KANIKO_DIR: '/k2' }).root.kanikoDir).toBe('/k2');
    expect(parse(['--no-push', '--kaniko-dir=/k3'], { KANIKO_DIR: '/k2' }).root.kanikoDir).toBe('/k3');
  });

  it('takes KANIKO_NO_PUSH unless --no-push is given', () => {
    expect(parse([], { KANIKO_NO_PUSH: 'true' }).output.noPush).toBe(true);
    expect(failure(() => parse([], { KANIKO_NO_PUSH: 'nope' })).message).toMatch(/KANIKO_NO_PUSH/);
    expect(failure(() => parse(['--no-push=false'], { KANIKO_NO_PUSH: 'true' })).message).toMatch(/--destination/);
  });
});

describe("kaniko's cross-flag rules", () => {
  it('needs a destination unless --no-push', () => {
    expect(failure(() => parse([])).message).toBe('you must provide --destination, or use --no-push');
    expect(failure(() => run('--image-name-with-digest-file=f')).message).toMatch(/--destination if setting --image-name-with-digest-file/);
    expect(failure(() => run('--image-name-tag-with-digest-file=f')).message).toMatch(/--image-name-tag-with-digest-file/);
    expect(failure(() => run('--cache')).message).toMatch(/specify cache repo with --cache-repo/);
  });
});

describe('flags that were not implemented', () => {
  it('parses --materialize, --image-fs-extract-retry and repeated --annotation', () => {
    const o = run('--materialize', '--image-fs-extract-retry=2', '--annotation', 'a=b', '--annotation=org.opencontainers.image.title=t=1');
    expect(o.root).toMatchObject({ materialize: true, extractRetry: 2 });
    expect(o.annotations).toEqual({ a: 'b', 'org.opencontainers.image.title': 't=1' });
    expect(failure(() => run('--image-fs-extract-retry=-1')).code).toBe('E_USAGE');
  });

  it('lists only flags that exist, and not when they ask for nothing', () => {
    const names = new Set(executorFlagSpecs.map((s) => s.name));
    for (const entry of notImplementedFlags) expect(names.has(entry.flag), entry.flag).toBe(true);
    expect(run('--cleanup=false', '--materialize=false', '--image-fs-extract-retry=0').root).toMatchObject({ cleanup: false, materialize: false, extractRetry: 0 });
  });

  it('accepts flags that have no effect, with a note saying why', () => {
    const o = run('--use-new-run', '--force-build-metadata', '--preserve-context', '--no-push-cache', '--whitelist-var-run=false');
    expect(o.notes.map((n) => n.message)).toEqual([
      'flag --use-new-run has no effect: Kiln always finds changes by comparing file metadata, without a full snapshot',
      'flag --force-build-metadata has no effect: Kiln always records metadata-only steps in the history',
      'flag --preserve-context has no effect: Kiln never deletes the build context between stages',
      'flag --no-push-cache has no effect without --cache',
      'flag --whitelist-var-run is deprecated: use --ignore-var-run',
    ]);
    expect(o.snapshot.ignoreVarRun).toBe(false);
  });
});

describe('push behaviour reaches the registry client', () => {
  it('--push-ignore-immutable-tag-errors is set on the registry options the client gets', () => {
    expect(run('--push-ignore-immutable-tag-errors').registry.pushIgnoreImmutableTagErrors).toBe(true);
    expect(run().registry.pushIgnoreImmutableTagErrors).toBe(false);
  });
});

describe('the flag table', () => {
  it("has every kaniko executor flag with kaniko's short forms", () => {
    const names = new Set(executorFlagSpecs.map((s) => s.name));
    const kaniko = `dockerfile context context-sub-path bucket destination snapshot-mode custom-platform build-arg insecure
      skip-tls-verify insecure-pull skip-tls-verify-pull push-retry push-ignore-immutable-tag-errors image-fs-extract-retry
      image-download-retry kaniko-dir tar-path single-snapshot reproducible target no-push no-push-cache cache-repo cache-dir
      digest-file image-name-with-digest-file image-name-tag-with-digest-file oci-layout-path compression compression-level cache
      compressed-caching cleanup cache-ttl insecure-registry skip-tls-verify-registry registry-certificate registry-client-cert
      registry-map registry-mirror skip-default-registry-fallback ignore-var-run label skip-unused-stages use-new-run git
      cache-copy-layers cache-run-layers ignore-path force-build-metadata skip-push-permission-check annotation preserve-context
      materialize credential-helpers snapshotMode customPlatform tarPath whitelist-var-run verbosity log-format log-timestamp force`;
    for (const n of kaniko.split(/\s+/).filter(Boolean)) expect(names.has(n), n).toBe(true);
    const shorts = Object.fromEntries(executorFlagSpecs.filter((s) => s.short).map((s) => [s.short, s.name]));
    expect(shorts).toEqual({ f: 'dockerfile', c: 'context', b: 'bucket', d: 'destination', v: 'verbosity' });
  });
});
