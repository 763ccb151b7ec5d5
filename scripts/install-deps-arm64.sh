#!/usr/bin/env bash
# The Arm (aarch64) cross build and its emulated tests (`make arm64`, `make test-arm64`): Debian's
# cross compiler, qemu-user, and the arm64 builds of the libraries edgeprof links (cJSON,
# protobuf-c) through Debian multiarch. protoc-c stays the host's (the generated C is the same).
# Idempotent: adds the arm64 architecture to dpkg once, then installs what is missing (as root;
# otherwise it prints the commands to run and fails, like install-deps.sh).
set -euo pipefail
cd "$(dirname "$0")"
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "make deps-arm64: run: sudo dpkg --add-architecture arm64 && sudo apt-get update" >&2
    exit 1
  fi
  echo "make deps-arm64: adding the arm64 architecture to dpkg" >&2
  dpkg --add-architecture arm64
  apt-get update -qq
fi
exec bash ./install-deps.sh "$@"
