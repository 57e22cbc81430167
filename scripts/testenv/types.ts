// The test environment's description, written as JSON by the setup and read by tests
// (test/helpers/testenv.ts). Additive changes only: other engineers' tests code against it.

/** Full references of one image pushed four ways to one registry. */
export interface ImageRefs {
  /** Docker v2 schema 2 manifest, e.g. `127.0.0.1:41234/kiln/busybox:v2s2`. */
  v2s2: string;
  /** OCI image manifest. */
  oci: string;
  /** OCI image index with linux/amd64 and linux/arm64 (variant v8) entries (OCI manifests). */
  multi: string;
  /** The same two platforms as a Docker manifest list of v2s2 manifests. */
  list: string;
  /** Manifest digests (`sha256:…`) of the tags. */
  digest: { v2s2: string; oci: string; multi: string; list: string };
}

export interface AuthRegistry {
  /** `127.0.0.1:PORT` */
  host: string;
  /** PEM CA that signed the registry's certificate (and the token realm's). */
  caFile: string;
  username: string;
  password: string;
  /** busybox pushed here as Docker v2 schema 2, e.g. `127.0.0.1:PORT/kiln/busybox:v2s2`. */
  busybox: string;
}

/**
 * A signed flat Debian repository on 127.0.0.1 (scripts/testenv/apt-repo.ts), so builds on the
 * Debian base run `apt-get update` / `apt-get install` without a public mirror:
 *   deb [signed-by=/usr/share/keyrings/kiln-test.gpg] ${url} ./
 */
export interface AptRepo {
  /** `http://127.0.0.1:PORT/` */
  url: string;
  port: number;
  /** The served directory: Packages, Packages.gz, Release, InRelease, Release.gpg, the .debs, the keyring. */
  dir: string;
  /** Binary OpenPGP keyring (for `signed-by`) with the throwaway key that signed InRelease and Release.gpg. */
  keyFile: string;
  /** The keyring as one line of base64, e.g. for `--build-arg` then `echo "$KEY" | base64 -d > …`. */
  keyBase64: string;
  /** One `METHOD PATH STATUS` line per request the server answered. */
  accessLog: string;
  /** What the repository holds; `kiln-hello` installs /usr/bin/kiln-hello, which prints `helloOutput`. */
  packages: Array<{ name: string; version: string; architecture: string; depends?: string; files: string[] }>;
  helloOutput: string;
}

export interface TestEnv {
  /** Changes whenever the shape or the images change; a live environment of another schema is not reused. */
  schema: string;
  /** Plain-HTTP registry, no auth. */
  plain: { host: string };
  /** HTTPS registry (self-signed CA) with htpasswd basic auth. */
  tls: AuthRegistry;
  /**
   * HTTPS registry requiring bearer tokens from `realm` (HTTPS, same CA). The user gets every
   * action; anonymous users may pull `public/*` only: `publicBusybox` is such an image.
   */
  token: AuthRegistry & { realm: string; service: string; publicBusybox: string };
  /** Directory for DOCKER_CONFIG: its config.json has `auths` for the tls and token hosts. */
  dockerConfigDir: string;
  /** Directory with `ca.crt`, usable as skopeo `--cert-dir` / `--dest-cert-dir`. */
  certDir: string;
  /** PEM files a test may reuse to start its own TLS server (cert valid for 127.0.0.1 and localhost). */
  pki: { caFile: string; serverCertFile: string; serverKeyFile: string; tokenSignerCertFile: string; tokenSignerKeyFile: string };
  images: { busybox: ImageRefs; debian: ImageRefs };
  /**
   * The base images' OCI layouts (read only: shared by every run), tags `<name>` (linux/amd64)
   * and `<name>-multi` (the index), e.g. `oci:${layouts.busybox}:busybox` for skopeo.
   */
  layouts: { busybox: string; debian: string };
  /** Local apt repository for builds on the Debian base (no public mirror in tests). */
  aptRepo: AptRepo;
  /** The environment's temp dir (registry data, logs). Tests make their own temp dirs. */
  workDir: string;
  /** Process-group ids of the registries and of the process hosting the token server and the apt repository. */
  pids: { registries: number[]; owner: number };
}
