/* Aligned allocation for the runtime's large buffers.
 *
 * Buffers of at least one huge page (2 MiB: the arena, large packed weights) are aligned to it
 * and marked MADV_HUGEPAGE, so that Linux backs them with transparent huge pages where its mode
 * is "madvise" (the default of Debian and Ubuntu) as well as "always". Kernels walk activation
 * planes row by row across channels, each row in another 4 KiB page; with 2 MiB pages those
 * walks miss the TLB less (0-4% on the zoo CNNs on an AMD EPYC, alternating runs).
 * Elsewhere, or if the advice is refused, the buffer simply keeps small pages. */
#include <stdlib.h>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "core/aligned_alloc.h"

enum { CACHE_LINE = 64, HUGE_PAGE = 2 * 1024 * 1024 };

void* ep_aligned_alloc(size_t bytes) {
  void* p = NULL;
  if (bytes == 0) bytes = CACHE_LINE;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (bytes >= HUGE_PAGE) {
    if (posix_memalign(&p, HUGE_PAGE, bytes) != 0) return NULL;
    /* The whole huge pages only: advising the size rounded up made the tail one more huge page
     * (a 768 x 768 packed weight, 2.25 MiB, took 4 MiB: bert_base +110 MiB of peak RSS). The
     * tail keeps small pages. Advice only: small pages still work. */
    (void)madvise(p, bytes / HUGE_PAGE * HUGE_PAGE, MADV_HUGEPAGE);
    return p;
  }
#endif
  if (posix_memalign(&p, CACHE_LINE, bytes) != 0) return NULL;
  return p;
}
