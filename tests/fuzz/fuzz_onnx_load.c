/* libFuzzer target: the ONNX loader on arbitrary bytes. Any input must give EP_OK or an error
 * status with a message; never a crash, a leak, an out-of-bounds read or undefined behaviour
 * (built with ASan and UBSan). Odd-sized inputs also go to the tensor-file reader (.npy, .pb).
 * Built by `make fuzz` (clang only); run with tests/fuzz/run_fuzz.sh. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "edgeprof/onnx.h"

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  ep_graph* graph = NULL;
  /* No folder: external data is refused, so the fuzzer never reads files. */
  if (ep_onnx_load_buffer(data, size, "fuzz.onnx", NULL, NULL, &graph) == EP_OK) {
    ep_graph_destroy(graph);
  }
  if (size % 7 == 3) {
    char path[64];
    snprintf(path, sizeof path, "/tmp/edgeprof-fuzz-%d.npy", (int)getpid());
    FILE* f = fopen(path, "wb");
    if (f != NULL) {
      fwrite(data, 1, size, f);
      fclose(f);
      ep_host_tensor t;
      if (ep_tensor_file_read(path, &t) == EP_OK) ep_host_tensor_free(&t);
      unlink(path);
    }
  }
  return 0;
}
