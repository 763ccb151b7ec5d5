# Cross build for 64-bit Arm Linux with Debian's gcc-aarch64-linux-gnu (`make arm64`): the
# libraries (cJSON, protobuf-c) come from Debian's arm64 packages through multiarch
# (/usr/lib/aarch64-linux-gnu, `make deps-arm64`), headers from /usr/include, protoc-c from the
# host. The tests run under qemu-aarch64 (CMAKE_CROSSCOMPILING_EMULATOR: ctest and the test
# scripts prefix every Arm binary with it).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
# Programs (protoc-c, python3) are the host's; libraries only the target's, headers from both
# (the arch-independent ones sit in /usr/include).
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE BOTH)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE BOTH)
# The emulated programs load Debian's arm64 C library from the multiarch directories (libc6:arm64,
# which libcjson-dev:arm64 pulls in), with its own loader /lib/ld-linux-aarch64.so.1, as they
# would on an arm64 Debian board: `-L /`. Not `-L /usr/aarch64-linux-gnu`: that takes the cross
# package's loader (libc6-arm64-cross, another build of glibc 2.36) while the loader's cache
# still finds libc.so.6 in /lib/aarch64-linux-gnu, and the mixed pair hangs in pthread_create.
find_program(EP_QEMU_AARCH64 qemu-aarch64)
if(EP_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR ${EP_QEMU_AARCH64} -L /)
endif()
