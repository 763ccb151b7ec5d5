#!/usr/bin/env bash
# `make arm64-static`: one self-contained edgeprof for 64-bit Arm Linux boards, statically linked
# (glibc, libm, pthreads, protobuf-c, cJSON), so that a board needs nothing installed.
#
# Debian ships protobuf-c's static library (libprotobuf-c-dev:arm64) but cJSON only as a shared
# one, so cJSON's Debian source package (the same 1.7.15 with Debian's patches that
# libcjson-dev:arm64 is built from) is fetched with apt-get source, through a private apt state
# under the build folder that leaves the system's sources alone, and compiled into libcjson.a once.
# Needs `make deps-arm64` and dpkg-dev (dpkg-source applies the patches).
# Usage: build-arm64-static.sh BUILD_DIR JOBS
set -euo pipefail
BUILD=${1:-build-arm64-static}
JOBS=${2:-2}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$BUILD"
BUILD=$(cd "$BUILD" && pwd)
CC=aarch64-linux-gnu-gcc
CJSON=$BUILD/cjson

if [[ ! -f $CJSON/libcjson.a ]]; then
  apt_state=$BUILD/apt
  mkdir -p "$apt_state/sources.list.d" "$apt_state/lists/partial" "$apt_state/cache/archives/partial" \
    "$CJSON/src"
  cat >"$apt_state/sources.list.d/debian-src.sources" <<'EOF'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  apt_opts=(-q -o "Dir::Etc::SourceList=/dev/null" -o "Dir::Etc::SourceParts=$apt_state/sources.list.d"
    -o "Dir::State::Lists=$apt_state/lists" -o "Dir::Cache=$apt_state/cache"
    -o "APT::Sandbox::User=root")
  echo "make arm64-static: fetching cJSON's Debian source package" >&2
  apt-get "${apt_opts[@]}" update >/dev/null
  # The version libcjson-dev:arm64 has, so that the library matches the header in /usr/include.
  version=$(dpkg-query -W -f='${Version}' libcjson-dev:arm64)
  (cd "$CJSON/src" && apt-get "${apt_opts[@]}" source "cjson=$version" >/dev/null)
  src=$(find "$CJSON/src" -maxdepth 1 -type d -name 'cjson-*' | head -n 1)
  if [[ -z $src || ! -f $src/cJSON.c ]]; then
    echo "make arm64-static: cJSON's source was not unpacked under $CJSON/src" >&2
    exit 1
  fi
  $CC -O2 -std=c89 -c "$src/cJSON.c" -o "$CJSON/cJSON.o"
  aarch64-linux-gnu-ar rcs "$CJSON/libcjson.a" "$CJSON/cJSON.o"
fi

if [[ ! -f $BUILD/CMakeCache.txt ]]; then
  cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_TOOLCHAIN_FILE="$ROOT/cmake/aarch64-linux-gnu.cmake" -DBUILD_TESTING=OFF \
    -DEP_ONEDNN=OFF -DEP_XNNPACK=OFF -DCMAKE_EXE_LINKER_FLAGS=-static \
    -DCJSON_LIBRARY="$CJSON/libcjson.a" \
    -DPROTOBUF_C_LIBRARY=/usr/lib/aarch64-linux-gnu/libprotobuf-c.a >/dev/null
fi
cmake --build "$BUILD" -j "$JOBS" --target edgeprof-cli
file "$BUILD/edgeprof" 2>/dev/null || true
