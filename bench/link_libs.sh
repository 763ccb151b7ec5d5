# Sourced by the bench scripts that build a C program against a build folder (not run alone):
# fills EDGEPROF_LINK with the layer libraries, top layer first (the order build/layers.txt gives,
# reversed, so a static link resolves downwards), and the libraries the build linked them with.
# Usage: source bench/link_libs.sh; edgeprof_link_args BUILD_DIR || exit 2
edgeprof_link_args() {
  local build=$1 layer lib var
  EDGEPROF_LINK=()
  if [[ ! -f $build/layers.txt ]]; then
    echo "no layers.txt in $build (configure and build it first: cmake --build $build)" >&2
    return 1
  fi
  local layers
  read -r -a layers < "$build/layers.txt"
  for ((i = ${#layers[@]} - 1; i >= 0; i--)); do
    layer=${layers[i]}
    if [[ ! -f $build/libep_$layer.a ]]; then
      echo "no libep_$layer.a in $build (build it first: cmake --build $build)" >&2
      return 1
    fi
    EDGEPROF_LINK+=("$build/libep_$layer.a")
  done
  for var in DNNL_LIBRARY XNNPACK_LIBRARY PTHREADPOOL_LIBRARY MHD_LIBRARY CURL_LIBRARY GNUTLS_LIBRARY; do
    lib=$(sed -n "s/^$var:[A-Z]*=//p" "$build/CMakeCache.txt")
    [[ -n $lib && $lib != *NOTFOUND ]] && EDGEPROF_LINK+=("$lib")
  done
  lib=$(sed -n "s/^DNNL_LIBRARY:[A-Z]*=//p" "$build/CMakeCache.txt")
  [[ -n $lib && $lib != *NOTFOUND ]] && EDGEPROF_LINK+=(-fopenmp)
  EDGEPROF_LINK+=(-lcjson -lprotobuf-c -lm)
}
