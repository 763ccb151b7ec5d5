/* Arm cores by MIDR: implementer and part number -> name, and a rough per-clock performance
 * figure that orders clusters when the kernel gives no cpu_capacity (see edgeprof/topology.h). */
#include <stddef.h>

#include "edgeprof/topology.h"

typedef struct arm_core {
  unsigned implementer, part;
  const char* name;
  /* Integer work per clock relative to a Cortex-A53 (published SPECint2006 per GHz and vendor
   * IPC claims, rounded). Only the order matters: it ranks core types of one SoC when capacity
   * and frequency cannot (Denver 2 and Cortex-A57 both run at 2.04 GHz on a Jetson TX2). */
  double per_clock;
} arm_core;

static const arm_core cores[] = {
    /* Arm Ltd. */
    {0x41, 0xc05, "Cortex-A5", 0.6},
    {0x41, 0xc07, "Cortex-A7", 0.8},
    {0x41, 0xc08, "Cortex-A8", 0.7},
    {0x41, 0xc09, "Cortex-A9", 0.9},
    {0x41, 0xc0d, "Cortex-A12", 1.2},
    {0x41, 0xc0e, "Cortex-A17", 1.2},
    {0x41, 0xc0f, "Cortex-A15", 1.3},
    {0x41, 0xd01, "Cortex-A32", 0.8},
    {0x41, 0xd02, "Cortex-A34", 0.9},
    {0x41, 0xd03, "Cortex-A53", 1.0},
    {0x41, 0xd04, "Cortex-A35", 0.9},
    {0x41, 0xd05, "Cortex-A55", 1.15},
    {0x41, 0xd06, "Cortex-A65", 1.8},
    {0x41, 0xd07, "Cortex-A57", 1.6},
    {0x41, 0xd08, "Cortex-A72", 1.85},
    {0x41, 0xd09, "Cortex-A73", 1.95},
    {0x41, 0xd0a, "Cortex-A75", 2.2},
    {0x41, 0xd0b, "Cortex-A76", 2.8},
    {0x41, 0xd0c, "Neoverse N1", 2.8},
    {0x41, 0xd0d, "Cortex-A77", 3.1},
    {0x41, 0xd0e, "Cortex-A76AE", 2.8},
    {0x41, 0xd40, "Neoverse V1", 3.9},
    {0x41, 0xd41, "Cortex-A78", 3.4},
    {0x41, 0xd42, "Cortex-A78AE", 3.4},
    {0x41, 0xd43, "Cortex-A65AE", 1.8},
    {0x41, 0xd44, "Cortex-X1", 3.9},
    {0x41, 0xd46, "Cortex-A510", 1.35},
    {0x41, 0xd47, "Cortex-A710", 3.5},
    {0x41, 0xd48, "Cortex-X2", 4.2},
    {0x41, 0xd49, "Neoverse N2", 3.5},
    {0x41, 0xd4a, "Neoverse E1", 1.8},
    {0x41, 0xd4b, "Cortex-A78C", 3.4},
    {0x41, 0xd4c, "Cortex-X1C", 3.9},
    {0x41, 0xd4d, "Cortex-A715", 3.7},
    {0x41, 0xd4e, "Cortex-X3", 4.6},
    {0x41, 0xd4f, "Neoverse V2", 4.4},
    {0x41, 0xd80, "Cortex-A520", 1.45},
    {0x41, 0xd81, "Cortex-A720", 3.9},
    {0x41, 0xd82, "Cortex-X4", 5.0},
    {0x41, 0xd84, "Neoverse V3", 5.0},
    {0x41, 0xd85, "Cortex-X925", 5.6},
    {0x41, 0xd87, "Cortex-A725", 4.0},
    {0x41, 0xd8e, "Neoverse N3", 3.9},
    /* Broadcom, Cavium, Fujitsu, HiSilicon */
    {0x42, 0x516, "Vulcan", 2.0},
    {0x43, 0x0a1, "ThunderX", 1.0},
    {0x43, 0x0af, "ThunderX2", 2.0},
    {0x46, 0x001, "A64FX", 1.8},
    {0x48, 0xd01, "TaiShan v110", 2.3},
    /* NVIDIA: Denver (Tegra K1 64-bit), Denver 2 (Tegra X2 / Parker), Carmel (Xavier) */
    {0x4e, 0x000, "Denver", 2.0},
    {0x4e, 0x003, "Denver 2", 2.2},
    {0x4e, 0x004, "Carmel", 2.6},
    /* Qualcomm: Kryo 2xx-4xx are "built on Cortex technology": Gold A73/A75/A76, Silver
     * A53/A55. 0x800 is also the Centriq Falkor v1 server core. */
    {0x51, 0x001, "Oryon", 5.0},
    {0x51, 0x201, "Kryo", 1.8},
    {0x51, 0x205, "Kryo", 1.8},
    {0x51, 0x211, "Kryo", 1.8},
    {0x51, 0x800, "Kryo 2xx Gold (Cortex-A73)", 1.95},
    {0x51, 0x801, "Kryo 2xx Silver (Cortex-A53)", 1.0},
    {0x51, 0x802, "Kryo 3xx Gold (Cortex-A75)", 2.2},
    {0x51, 0x803, "Kryo 3xx Silver (Cortex-A55)", 1.15},
    {0x51, 0x804, "Kryo 4xx Gold (Cortex-A76)", 2.8},
    {0x51, 0x805, "Kryo 4xx Silver (Cortex-A55)", 1.15},
    {0x51, 0xc00, "Falkor", 2.0},
    {0x51, 0xc01, "Saphira", 2.2},
    /* Samsung Exynos M cores */
    {0x53, 0x001, "Exynos M1/M2", 2.0},
    {0x53, 0x002, "Exynos M3", 2.6},
    {0x53, 0x003, "Exynos M4", 2.8},
    {0x53, 0x004, "Exynos M5", 3.0},
    /* Apple silicon under Linux (Asahi) */
    {0x61, 0x022, "Apple Icestorm (M1)", 1.9},
    {0x61, 0x023, "Apple Firestorm (M1)", 5.0},
    {0x61, 0x024, "Apple Icestorm (M1 Pro)", 1.9},
    {0x61, 0x025, "Apple Firestorm (M1 Pro)", 5.0},
    {0x61, 0x028, "Apple Icestorm (M1 Max)", 1.9},
    {0x61, 0x029, "Apple Firestorm (M1 Max)", 5.0},
    {0x61, 0x032, "Apple Blizzard (M2)", 2.0},
    {0x61, 0x033, "Apple Avalanche (M2)", 5.3},
    /* Phytium, Ampere */
    {0x70, 0x662, "Phytium FTC662", 1.6},
    {0x70, 0x663, "Phytium FTC663", 1.8},
    {0xc0, 0xac3, "AmpereOne", 3.0},
};

const char* ep_arm_core_name(uint32_t midr, double* per_clock_out) {
  unsigned implementer = (midr >> 24) & 0xff, part = (midr >> 4) & 0xfff;
  for (size_t i = 0; i < sizeof cores / sizeof cores[0]; i++) {
    if (cores[i].implementer == implementer && cores[i].part == part) {
      if (per_clock_out != NULL) *per_clock_out = cores[i].per_clock;
      return cores[i].name;
    }
  }
  if (per_clock_out != NULL) *per_clock_out = 0.0;
  return NULL;
}
