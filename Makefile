# edgeprof: `make run` characterizes this machine, `make test` runs every test.
BUILD      ?= build
ASAN_BUILD ?= build-asan
FUZZ_BUILD ?= build-fuzz
FUZZ_SECONDS ?= 60
FUZZ_FRAME_SECONDS ?= 30
FUZZ_CC    ?= $(shell command -v clang-14 || command -v clang)
JOBS       ?= $(shell nproc)
CTEST_ARGS ?=
# Debian packages the build and the tests need (installed by `make deps` when run as root).
# chromium renders report.html in tests/integration/test_report_browser.sh (a screenshot);
# python3-venv holds the Python side of the tests (ONNX Runtime, OpenVINO, onnx: see `pyenv`).
DEB_PACKAGES := cmake make gcc libc6-dev libcjson-dev libprotobuf-c-dev protobuf-c-compiler libonnx-dev libdnnl-dev libxnnpack-dev libpthreadpool-dev clang-14 libclang-rt-14-dev chromium python3-venv libmicrohttpd-dev libcurl4-openssl-dev libgnutls28-dev curl openssl

.PHONY: all deps build pyenv run test test-asan fuzz clean deps-arm64 arm64 test-arm64 arm64-static

all: build

deps:
	@bash scripts/install-deps.sh $(DEB_PACKAGES)

$(BUILD)/CMakeCache.txt:
	cmake -S . -B $(BUILD) -DCMAKE_BUILD_TYPE=Release

build: $(BUILD)/CMakeCache.txt
	cmake --build $(BUILD) -j $(JOBS)

# The Python side of the tests and benchmarks (ONNX Runtime, OpenVINO, onnx, numpy; pinned in
# scripts/requirements.txt) in $(BUILD)/pyenv, made once. The tests make it themselves (CTest's
# "python" fixture); bench/compare.sh too.
pyenv: deps
	@bash scripts/python-env.sh $(BUILD) >/dev/null

run: deps build
	$(BUILD)/edgeprof characterize

test: deps build
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS) $(CTEST_ARGS)
	$(MAKE) test-asan
	$(MAKE) test-arm64

# The unit and kernel tests again under AddressSanitizer and UndefinedBehaviorSanitizer.
test-asan: $(ASAN_BUILD)/CMakeCache.txt
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --output-on-failure -j $(JOBS) -L 'unit|kernels' $(CTEST_ARGS)
	$(MAKE) fuzz

$(ASAN_BUILD)/CMakeCache.txt:
	cmake -S . -B $(ASAN_BUILD) -DCMAKE_BUILD_TYPE=Debug -DEP_SANITIZE=ON -DCMAKE_C_FLAGS="-O1"

# The ONNX loader and the frame parser under libFuzzer (clang, ASan, UBSan), each for a bounded time.
fuzz:
	@if [ -z "$(FUZZ_CC)" ]; then \
	  echo "make fuzz: SKIP: clang is not installed (make deps installs clang-14)"; exit 0; fi; \
	test -f $(FUZZ_BUILD)/CMakeCache.txt || CC=$(FUZZ_CC) cmake -S . -B $(FUZZ_BUILD) \
	  -DCMAKE_BUILD_TYPE=Debug -DEP_FUZZ=ON -DEP_SANITIZE=ON \
	  -DCMAKE_C_FLAGS="-O1 -fsanitize=fuzzer-no-link"; \
	cmake --build $(FUZZ_BUILD) -j $(JOBS) --target fuzz_onnx_load fuzz_frame && \
	bash tests/fuzz/run_fuzz.sh $(FUZZ_BUILD) $(FUZZ_SECONDS) $(BUILD)/edgeprof && \
	bash tests/fuzz/run_fuzz_frame.sh $(FUZZ_BUILD) $(FUZZ_FRAME_SECONDS)

# --- 64-bit Arm (aarch64): cross-compiled here, its tests run under qemu-aarch64 -------------
# `make arm64` builds $(ARM64_BUILD)/edgeprof with Debian's gcc-aarch64-linux-gnu against the
# arm64 packages of cJSON and protobuf-c (Debian multiarch: deps-arm64 adds the arm64
# architecture to dpkg once; protoc-c is the host's), cmake/aarch64-linux-gnu.cmake. It needs
# the libraries on the board too: `make arm64-static` is the one self-contained binary to copy
# there instead (docs/edge-devices.md, "Build, copy, run").
ARM64_BUILD ?= build-arm64
ARM64_STATIC_BUILD ?= build-arm64-static
DEB_PACKAGES_ARM64 := gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user libcjson-dev:arm64 libprotobuf-c-dev:arm64
# The zoo models of the tests that loop over the zoo, under emulation (EP_TEST_ZOO). The modern
# set (bert_base, vit_b16, mobilenet_v3: test_zoo_modern, test_zoo's figures) runs only when named
# here: the two transformers are 11 and 18 G MACs with 340 MB of weights each.
ARM64_TEST_ZOO ?= mlp,lstm,mobilenet_v1

deps-arm64:
	@bash scripts/install-deps-arm64.sh $(DEB_PACKAGES_ARM64)

arm64: deps-arm64
	test -f $(ARM64_BUILD)/CMakeCache.txt || cmake -S . -B $(ARM64_BUILD) \
	  -DCMAKE_BUILD_TYPE=Release -DCMAKE_TOOLCHAIN_FILE=cmake/aarch64-linux-gnu.cmake
	cmake --build $(ARM64_BUILD) -j $(JOBS)

# The Arm build's tests under qemu-aarch64 (10-50 times slower than native; about 5 minutes on 2
# cores), each NEON kernel against the references ("ISA levels tested: scalar neon"):
#   run:  the unit, kernels, backends and integration labels, with the zoo-wide integration
#         tests (test_zoo_isa: neon against scalar; test_zoo_threads: threads and node ranges)
#         on mlp, lstm and mobilenet_v1 (GEMV, LSTM, depthwise, 1x1 and im2col GEMM), and then
#         `characterize --quick` on mlp and lstm into a temporary folder, checked for its
#         report.html and results.json;
#   EP_TEST_TIME_SCALE=5 stretches the network tests' timeouts (a loaded host once made the
#         emulated mobilenet_v1 miss test_offload_placement's 20 s RESULT wait);
#   left out: the conformance label (ONNX Runtime's Python wheels in a venv, x86 only here);
#         test_report_browser (Chromium, which renders the same HTML on any architecture);
#         test_offload_cuts/_large/_concurrent (ResNet-50 and Inception v1 over loopback at
#         many cuts, 4-6 minutes each emulated: the protocol is the same C as on x86, and the
#         kernels they run are covered by test_conv2d and the zoo tests above). Winograd and the
#         large-image im2col paths are covered by kernels/test_conv2d.
test-arm64: arm64
	cd $(ARM64_BUILD) && EP_TEST_ZOO=$(ARM64_TEST_ZOO) EP_TEST_TIME_SCALE=5 ctest --output-on-failure -j $(JOBS) \
	  -L 'unit|kernels|backends|integration' \
	  -E 'test_report_browser|test_offload_(cuts|large|concurrent)' $(CTEST_ARGS)
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	  echo "test-arm64: edgeprof characterize --quick --models mlp,lstm (emulated)" && \
	  $(ARM64_BUILD)/edgeprof-emulated characterize --quick --models mlp,lstm \
	    --out "$$tmp/results" >"$$tmp/log" 2>&1 || { tail -20 "$$tmp/log"; exit 1; }; \
	  for f in report.html results.json; do \
	    test -s "$$tmp/results/$$f" || { echo "test-arm64: characterize wrote no $$f"; exit 1; }; \
	  done; echo "test-arm64: characterize wrote report.html and results.json"

# One statically linked binary for any 64-bit Arm Linux board (no libraries needed there):
# $(ARM64_STATIC_BUILD)/edgeprof. cJSON has no static library in Debian, so the script builds one
# from cJSON's Debian source package (apt-get source, needs dpkg-dev).
arm64-static: deps-arm64
	@bash scripts/install-deps.sh dpkg-dev
	bash scripts/build-arm64-static.sh $(ARM64_STATIC_BUILD) $(JOBS)

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) $(ARM64_BUILD) $(ARM64_STATIC_BUILD)
