/* ISA levels: names and parsing, the supported levels form a prefix of the build
 * architecture's chain that starts at scalar (x86-64: scalar avx2 avx512; AArch64: scalar neon),
 * forcing an unsupported level gives the best one, and the GEMM variant follows the active
 * level. */
#include <string.h>

#include "edgeprof/cpu.h"
#include "kernels/f32-gemm/gemm.h"
#include "test_support.h"

int main(void) {
  EP_CHECK(strcmp(ep_cpu_isa_name(EP_ISA_SCALAR), "scalar") == 0);
  EP_CHECK(strcmp(ep_cpu_isa_name(EP_ISA_AVX2), "avx2") == 0);
  EP_CHECK(strcmp(ep_cpu_isa_name(EP_ISA_AVX512), "avx512") == 0);
  EP_CHECK(strcmp(ep_cpu_isa_name(EP_ISA_NEON), "neon") == 0);
  EP_CHECK(strcmp(ep_cpu_isa_name((ep_cpu_isa)7), "?") == 0);
  for (int i = 0; i < EP_ISA_COUNT; i++) {
    ep_cpu_isa parsed = EP_ISA_SCALAR;
    EP_CHECK(ep_cpu_isa_parse(ep_cpu_isa_name((ep_cpu_isa)i), &parsed) == EP_OK);
    EP_CHECK(parsed == (ep_cpu_isa)i);
  }
  ep_cpu_isa out = EP_ISA_AVX2;
  EP_CHECK(ep_cpu_isa_parse("AVX2", &out) == EP_ERR_INVALID_ARGUMENT);
  EP_CHECK(ep_cpu_isa_parse("", &out) == EP_ERR_INVALID_ARGUMENT);
  EP_CHECK(ep_cpu_isa_parse(NULL, &out) == EP_ERR_INVALID_ARGUMENT);
  EP_CHECK(out == EP_ISA_AVX2); /* untouched on failure */

  const ep_cpu_isa best = ep_cpu_isa_best();
  EP_CHECK(ep_cpu_isa_supported(EP_ISA_SCALAR));
  const bool arm = best == EP_ISA_NEON;
#if defined(__aarch64__)
  EP_CHECK(arm); /* NEON is part of AArch64 */
#endif
  for (int i = 0; i < EP_ISA_COUNT; i++) {
    const bool same_chain = i == EP_ISA_SCALAR || (arm ? i == EP_ISA_NEON : i != EP_ISA_NEON);
    EP_CHECK_MSG(ep_cpu_isa_supported((ep_cpu_isa)i) == (same_chain && i <= (int)best), "level %s",
                 ep_cpu_isa_name((ep_cpu_isa)i));
  }
  EP_CHECK(!ep_cpu_isa_supported((ep_cpu_isa)-1));
  EP_CHECK(!ep_cpu_isa_supported((ep_cpu_isa)EP_ISA_COUNT));
  EP_CHECK(ep_cpu_isa_supported(ep_cpu_isa_active()));

  const ep_cpu_isa before = ep_cpu_isa_active();
  for (int i = 0; i < EP_ISA_COUNT; i++) {
    const ep_cpu_isa got = ep_cpu_isa_force((ep_cpu_isa)i);
    EP_CHECK(got == (ep_cpu_isa_supported((ep_cpu_isa)i) ? (ep_cpu_isa)i : best));
    EP_CHECK(ep_cpu_isa_active() == got);
    EP_CHECK(ep_f32_gemm_config_get()->isa == got);
  }
  EP_CHECK(ep_cpu_isa_force((ep_cpu_isa)99) == best);
  ep_cpu_isa_force(before);

  ep_cpu_info info;
  ep_cpu_info_get(&info);
  EP_CHECK(info.model[0] != '\0');
  EP_CHECK(info.cpus_online >= 1 && info.cpus_allowed >= 1);
  /* AVX2 needs FMA and OS support of YMM; AVX-512 needs ZMM too. */
  if (best == EP_ISA_AVX2 || best == EP_ISA_AVX512) {
    EP_CHECK(info.has_avx2 && info.has_fma && info.os_ymm);
  }
  if (best == EP_ISA_AVX512) EP_CHECK(info.has_avx512f && info.os_zmm);
  return ep_test_finish();
}
