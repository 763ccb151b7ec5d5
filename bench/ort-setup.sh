# Sourced by the ONNX Runtime benchmarks (compare-ort.sh, compare-ort-layers.sh): checks the
# edgeprof build and the tools, installs onnxruntime-node into BUILD/ort if it is not there
# (npm install --ignore-scripts: its CPU library ships inside the package), and sets
#   CLI  the edgeprof binary;  ORT  the onnxruntime-node module;  WORK  BUILD/compare-ort.
# Expects BUILD, ORT_VERSION and NAME (the calling script's name, for messages).
CLI=$BUILD/edgeprof
if [[ ! -x $CLI ]]; then
  echo "$NAME: no edgeprof in $BUILD (build it first: cmake --build $BUILD)" >&2
  exit 2
fi
for tool in node npm python3; do
  if ! command -v $tool >/dev/null 2>&1; then
    echo "$NAME: $tool is needed (make deps installs it)" >&2
    exit 2
  fi
done
ORT_DIR=$BUILD/ort
ORT=$ORT_DIR/node_modules/onnxruntime-node
if [[ ! -d $ORT/dist && ! -f $ORT/package.json ]]; then
  echo "installing onnxruntime-node@$ORT_VERSION into $ORT_DIR" >&2
  mkdir -p "$ORT_DIR"
  npm install --ignore-scripts --no-audit --no-fund --loglevel=error --prefix "$ORT_DIR" \
    "onnxruntime-node@$ORT_VERSION" >&2
fi
WORK=$BUILD/compare-ort
mkdir -p "$WORK"
