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
DEB_PACKAGES := cmake make gcc libc6-dev libcjson-dev libprotobuf-c-dev protobuf-c-compiler libonnx-dev libdnnl-dev libxnnpack-dev libpthreadpool-dev clang-14 libclang-rt-14-dev chromium python3-venv

.PHONY: all deps build pyenv run test test-asan fuzz clean

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

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
