/* The vector math table of the active ISA level (the kernel configuration's choice). */
#include "kernels/vmath/vmath.h"

#include "kernels/config/kernel-config.h"

const ep_vmath* ep_vmath_get(void) { return ep_kernel_config_get()->vmath; }
