#!/usr/bin/env bash
# Build an example image with Kiln's executor on a fresh Debian machine, without a registry:
#   bash scripts/example.sh [OUT_DIR]      (default: ./example-out)
# It installs what it needs (busybox-static, npm dependencies), bundles the executor, builds
# scripts/example/Dockerfile into a temporary build root, and writes the image as an OCI layout
# (OUT_DIR/oci) and a docker-archive (OUT_DIR/image.tar) that `podman load` or `docker load` take.
set -euo pipefail
cd "$(dirname "$0")/.."
out="$(realpath -m "${1:-example-out}")"

# (No `grep -q`: it exits at the first match, busybox may then die of SIGPIPE, and pipefail would
# make the check fail now and then, running apt-get against the network for nothing.)
if ! command -v busybox >/dev/null || ! busybox --help 2>&1 | grep 'static\|BusyBox' >/dev/null; then
  need_apt=1
else
  need_apt=0
fi
if [ "$need_apt" -eq 1 ] || [ ! -x /bin/busybox ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get -q -y update && apt-get -q -y install busybox-static </dev/null
fi
[ -d node_modules ] || npm ci --no-audit --no-fund
npm run --silent build

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/context" "$work/root" "$out"
cp scripts/example/Dockerfile "$work/context/Dockerfile"
cp "$(command -v busybox)" "$work/context/busybox"

# --root-dir: build in a scratch directory (never over this machine's /).
node dist/executor.js \
  --root-dir "$work/root" \
  --context "$work/context" \
  --cache-dir "$work/cache" \
  --no-push \
  --oci-layout-path "$out/oci" \
  --tar-path "$out/image.tar" \
  --digest-file "$out/digest"

echo
echo "Built $(cat "$out/digest" 2>/dev/null || echo 'the example image'):"
echo "  OCI layout:     $out/oci"
echo "  docker-archive: $out/image.tar"
if command -v skopeo >/dev/null; then
  skopeo inspect "oci:$out/oci" | head -20
fi
