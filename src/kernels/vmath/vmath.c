/* The vector math table of the active ISA level. */
#include "kernels/vmath/vmath.h"

#include "edgeprof/cpu.h"

#if defined(EP_HAVE_X86_KERNELS)
extern const ep_vmath ep_vmath_table__avx2;
extern const ep_vmath ep_vmath_table__avx512f;
#endif

const ep_vmath* ep_vmath_get(void) {
#if defined(EP_HAVE_X86_KERNELS)
  switch (ep_cpu_isa_active()) {
    case EP_ISA_AVX512:
      return &ep_vmath_table__avx512f;
    case EP_ISA_AVX2:
      return &ep_vmath_table__avx2;
    default:
      break;
  }
#endif
  return NULL;
}
