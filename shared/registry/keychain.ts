// Where credentials come from, in order: config.json credHelpers[host], config.json auths,
// config.json credsStore, REGISTRY_AUTH_FILE (podman's auth.json), then --credential-helpers.
// Answers are memoised per registry/repository on the keychain instance; nothing is logged
// but the source's name.
import type { Logger } from '../log.ts';
import { runCredentialHelper } from './credential-helper.ts';
import {
  type AuthFile,
  type Credential,
  credentialOf,
  DOCKER_HUB_KEY,
  dockerConfigPath,
  isDockerHub,
  matchKey,
  readAuthFile,
} from './docker-config.ts';

export interface Keychain {
  /** Credentials for a repository of a registry, or undefined for anonymous access. */
  resolve(registry: string, repository: string): Promise<Credential | undefined>;
}

export interface KeychainOptions {
  env: NodeJS.ProcessEnv;
  dockerConfigDir?: string;
  /** Extra helper names (docker-credential-<name>) tried last; '' entries are ignored. */
  credentialHelpers: readonly string[];
  logger: Logger;
}

export function createKeychain(options: KeychainOptions): Keychain {
  const memo = new Map<string, Promise<Credential | undefined>>();
  let files: Promise<{ docker?: AuthFile; podman?: AuthFile }> | undefined;
  const loadFiles = async (): Promise<{ docker?: AuthFile; podman?: AuthFile }> => {
    const dockerPath = await dockerConfigPath(options.dockerConfigDir, options.env);
    const podmanPath = options.env['REGISTRY_AUTH_FILE'];
    const docker = dockerPath === undefined ? undefined : await readAuthFile(dockerPath);
    const podman = podmanPath === undefined || podmanPath === '' ? undefined : await readAuthFile(podmanPath);
    return { ...(docker ? { docker } : {}), ...(podman ? { podman } : {}) };
  };
  return {
    resolve(registry, repository) {
      const key = `${registry}/${repository}`;
      let hit = memo.get(key);
      if (hit === undefined) {
        files ??= loadFiles();
        hit = files.then((f) => lookup(f, { registry, repository, options }));
        hit.catch(() => memo.delete(key));
        memo.set(key, hit);
      }
      return hit;
    },
  };
}

interface Lookup {
  registry: string;
  repository: string;
  options: KeychainOptions;
}

async function lookup(files: { docker?: AuthFile; podman?: AuthFile }, q: Lookup): Promise<Credential | undefined> {
  for (const file of [files.docker, files.podman]) {
    if (file === undefined) continue;
    const found = await fromFile(file, q);
    if (found !== undefined) return found;
  }
  const serverUrl = isDockerHub(q.registry) ? DOCKER_HUB_KEY : q.registry;
  for (const name of q.options.credentialHelpers) {
    if (name.trim() === '') continue;
    const found = await runCredentialHelper(name, serverUrl, { env: q.options.env });
    if (found !== undefined) {
      q.options.logger.debug(`using credentials for ${q.registry} from docker-credential-${name}`);
      return found;
    }
  }
  return undefined;
}

async function fromFile(file: AuthFile, q: Lookup): Promise<Credential | undefined> {
  const helperKey = matchKey(Object.keys(file.credHelpers), q.registry, q.repository);
  const serverUrl = isDockerHub(q.registry) ? DOCKER_HUB_KEY : q.registry;
  const helper = helperKey === undefined ? undefined : file.credHelpers[helperKey];
  if (helper !== undefined && helper !== '') {
    const found = await runCredentialHelper(helper, serverUrl, { env: q.options.env });
    if (found !== undefined) q.options.logger.debug(`using credentials for ${q.registry} from docker-credential-${helper}`);
    return found;
  }
  const authKey = matchKey(Object.keys(file.auths), q.registry, q.repository);
  const direct = credentialOf(authKey === undefined ? undefined : file.auths[authKey], q.registry);
  if (direct !== undefined) {
    q.options.logger.debug(`using credentials for ${q.registry} from ${file.path}`);
    return direct;
  }
  if (file.credsStore !== undefined) {
    const found = await runCredentialHelper(file.credsStore, serverUrl, { env: q.options.env });
    if (found !== undefined) q.options.logger.debug(`using credentials for ${q.registry} from docker-credential-${file.credsStore}`);
    return found;
  }
  return undefined;
}
