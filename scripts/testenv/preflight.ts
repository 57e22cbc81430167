// Fail early, with the fix, when a tool the test environment runs is missing.
import { execFileSync } from 'node:child_process';

/** Commands the environment runs, and the Debian package of each. */
export const REQUIRED_TOOLS: Record<string, string> = {
  'docker-registry': 'docker-registry',
  skopeo: 'skopeo',
  umoci: 'umoci',
  mmdebstrap: 'mmdebstrap',
  htpasswd: 'apache2-utils',
  openssl: 'openssl',
  tar: 'tar',
  'dpkg-deb': 'dpkg',
  'dpkg-scanpackages': 'dpkg-dev',
  gpg: 'gpg',
  'gpg-agent': 'gpg-agent',
  gpgconf: 'gpgconf',
};

export function missingTools(tools: Record<string, string> = REQUIRED_TOOLS): string[] {
  return Object.keys(tools).filter((cmd) => {
    try {
      execFileSync('sh', ['-c', 'command -v "$1"', 'sh', cmd], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
}

export function assertTools(tools: Record<string, string> = REQUIRED_TOOLS): void {
  const missing = missingTools(tools);
  if (missing.length === 0) return;
  const pkgs = [...new Set(missing.map((m) => tools[m]))].join(' ');
  throw new Error(
    `starting the test environment: ${missing.join(', ')} not found (Debian packages: ${pkgs}); ` +
      'run scripts/install-deps.sh (as root) first',
  );
}
