#!/usr/bin/env bash
# Build the OpenTelemetry Collector described by manifest.yaml with the official builder (ocb),
# from Go modules, and print the path of the binary on stdout (build logs go to stderr).
#
# The binary is cached by the SHA-256 of manifest.yaml under
#   ${GENAI_COST_OTELCOL_CACHE:-${XDG_CACHE_HOME:-~/.cache}/genai-cost}/otelcol-<hash>/otelcol-genai-cost
# so a second run with the same manifest prints that path at once. Needs Go >= 1.25 on PATH and
# the Go module proxy (GOPROXY as usual). The builder version is the manifest's dist.version: ocb
# pins the collector core to its own version, so builder and components must be one release.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
manifest="$here/manifest.yaml"
name="$(sed -n 's/^  name: *//p' "$manifest" | head -n1)"
version="$(sed -n 's/^  version: *//p' "$manifest" | head -n1)"
hash="$(sha256sum "$manifest" | cut -c1-16)"
cache="${GENAI_COST_OTELCOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/genai-cost}"
target="$cache/otelcol-$hash"
binary="$target/$name"

if [[ -x "$binary" ]]; then
    echo "$binary"
    exit 0
fi
if [[ -z "$name" || -z "$version" ]]; then
    echo "build.sh: dist.name and dist.version must be set in $manifest" >&2
    exit 1
fi
if ! command -v go >/dev/null; then
    echo "build.sh: Go is not on PATH; install Go >= 1.25 (https://go.dev/dl/) and run again" >&2
    exit 1
fi

mkdir -p "$cache"
work="$(mktemp -d "$cache/build.XXXXXX")"
trap 'rm -rf "$work"' EXIT
started=$SECONDS

echo "build.sh: building $name $version from $manifest (cache $target)" >&2
GOBIN="$work/bin" go install "go.opentelemetry.io/collector/cmd/builder@v$version" >&2
cp "$manifest" "$work/manifest.yaml"
(cd "$work" && ./bin/builder --config=manifest.yaml) >&2

# Publish atomically: a concurrent build of the same manifest either sees nothing or a whole binary.
mkdir -p "$target"
cp "$manifest" "$target/manifest.yaml"
mv "$work/dist/$name" "$target/.$name.$$"
mv -f "$target/.$name.$$" "$binary"
echo "build.sh: built in $((SECONDS - started))s" >&2
echo "$binary"
