/* edgeprof platform: the CPU, its ISA levels, cores, caches, and one core's measured FP32 peak
 * and memory bandwidth, the references for "% of peak" in reports; then the core types,
 * clusters and core sets, and the energy meter. */
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"
#include "cli_args.h"
#include "cli_options.h"
#include "cli_energy.h"
#include "edgeprof/cpu.h"
#include "edgeprof/report.h"
#include "edgeprof/session.h"
#include "edgeprof/topology.h"

/* About 0.2 s per ISA level and 0.3 s of streaming. */
#define PEAK_SECONDS 0.2
#define BANDWIDTH_SECONDS 0.3

static void print_summary(const ep_platform_summary* s) {
  const ep_cpu_info* c = &s->cpu;
  printf("CPU         %s", c->model);
  if (c->family >= 0)
    printf(" (%s family %d model %d stepping %d)", c->vendor, c->family, c->model_id, c->stepping);
  printf("\ncores       %d online, %d allowed for this process\n", c->cpus_online, c->cpus_allowed);
  printf("caches     ");
  for (int i = 0; i < c->n_caches; i++) {
    const ep_cpu_cache* k = &c->caches[i];
    char size[32];
    const char* type = k->type[0] == 'D' ? "d" : k->type[0] == 'I' ? "i" : "";
    printf(" L%d%s %s", k->level, type, ep_format_bytes((int64_t)k->size_bytes, size, sizeof size));
    if (k->shared_by > 1) printf(" (%d CPUs)", k->shared_by);
    printf(i + 1 < c->n_caches ? "," : "");
  }
  printf("%s\n", c->n_caches == 0 ? " unknown" : "");
  if (s->best == EP_ISA_NEON) {
    printf("features    Advanced SIMD (NEON) with FMA (AArch64)\n");
  } else {
    printf("features    FMA %s, AVX2 %s, AVX-512F %s; OS saves YMM %s, ZMM %s\n",
           c->has_fma ? "yes" : "no", c->has_avx2 ? "yes" : "no", c->has_avx512f ? "yes" : "no",
           c->os_ymm ? "yes" : "no", c->os_zmm ? "yes" : "no");
  }
  printf("ISA levels  available:");
  for (int i = 0; i < EP_ISA_COUNT; i++) {
    if (ep_cpu_isa_supported((ep_cpu_isa)i)) printf(" %s", ep_cpu_isa_name((ep_cpu_isa)i));
  }
  printf("; in use: %s\n", ep_cpu_isa_name(s->active));
  if (s->isa_note != NULL) printf("            %s\n", s->isa_note);
  if (s->blocked_layout != NULL) {
    printf(
        "layouts     %s along chains of convolutions with depthwise layers or residuals, NCHW "
        "elsewhere (EDGEPROF_LAYOUT=nchw: NCHW only)\n",
        s->blocked_layout);
  } else {
    /* neon has the NCHW8c kernels but plans NCHW unless asked (kernel-config.c). */
    printf("layouts     NCHW only (%s)\n",
           s->active == EP_ISA_NEON     ? "NCHW8c on request: EDGEPROF_LAYOUT=auto"
           : s->active == EP_ISA_SCALAR ? "no blocked kernels at this ISA level"
                                        : "EDGEPROF_LAYOUT=nchw");
  }
  printf("backends   ");
  for (int i = 0; i < s->n_backends; i++) {
    const ep_platform_backend* b = &s->backends[i];
    printf(" %s (%s)%s", b->name,
           b->available ? (b->version != NULL ? b->version : "edgeprof's own kernels")
                        : b->why,
           i + 1 < s->n_backends ? "," : "");
  }
  printf("%s\n", s->n_backends == 0 ? " none" : "");
  printf("FP32 peak   %.1f GFLOP/s on one core (%s multiply-add loop)", s->peak_gflops,
         ep_cpu_isa_name(s->active));
  for (int i = 0; i < EP_ISA_COUNT; i++) {
    if (i != (int)s->active && ep_cpu_isa_supported((ep_cpu_isa)i)) {
      printf("; %s %.1f", ep_cpu_isa_name((ep_cpu_isa)i), s->peak_gflops_by_isa[i]);
    }
  }
  printf("\nbandwidth   %.1f GB/s read by one core (256 MiB buffer)\n", s->read_bandwidth_gbps);
}

int cmd_platform(int argc, char** argv) {
  cli_args args;
  cli_args_default(&args);
  const cli_option options[] = {
      CLI_OPTION_JSON(&args),
  };
  int rc = cli_parse("platform", options, CLI_COUNT(options), argc, argv, &args);
  if (rc != 0) return rc < 0 ? CLI_EXIT_OK : rc;
  if (args.n_positional > 0) {
    return cli_fail(CLI_EXIT_USAGE, "platform: unexpected argument '%s'", args.positional[0]);
  }
  ep_output* json = NULL;
  rc = cli_output_open("platform", args.json, &json);
  if (rc != CLI_EXIT_OK) return rc;
  ep_platform_summary summary;
  ep_status status = ep_platform_summary_measure(PEAK_SECONDS, BANDWIDTH_SECONDS, &summary);
  if (status != EP_OK) {
    cli_output_discard(json);
    return cli_fail(cli_exit_code(status), "platform: %s", ep_last_error());
  }
  summary.blocked_layout = ep_session_blocked_layout();
  for (int i = 0; ep_backend_name(i) != NULL && i < EP_PLATFORM_MAX_BACKENDS; i++) {
    ep_platform_backend* b = &summary.backends[summary.n_backends++];
    b->name = ep_backend_name(i);
    b->available = ep_backend_available(b->name, b->why, sizeof b->why);
    b->version = ep_backend_version(b->name);
  }
  if (!cli_is_stdout(args.json)) {
    print_summary(&summary);
    /* The core sets of sweep and characterize. With EDGEPROF_SYSFS_ROOT (a recorded board such
     * as tests/fixtures/jetson-tx2/sys) every CPU of that tree counts as allowed. */
    static int every[EP_MAX_CPUS];
    bool other_root = getenv("EDGEPROF_SYSFS_ROOT") != NULL && getenv("EDGEPROF_SYSFS_ROOT")[0];
    for (int i = 0; other_root && i < EP_MAX_CPUS; i++) every[i] = i;
    ep_topology* topology = NULL;
    if (ep_topology_detect(cli_sysfs_root(), other_root ? every : NULL,
                           other_root ? EP_MAX_CPUS : 0, &topology) == EP_OK) {
      printf("\n");
      ep_topology_format(topology, stdout);
      ep_topology_destroy(topology);
    }
    cli_energy energy;
    cli_energy_open(true, &energy);
    if (energy.meter != NULL) {
      printf("Energy meter: %s; `bench --energy` reads it\n",
             ep_energy_meter_description(energy.meter));
      const char* note = ep_energy_meter_note(energy.meter);
      if (note[0] != '\0') printf("  (%s)\n", note);
    } else {
      printf("Energy meter: none (%s)\n", energy.why);
    }
    cli_energy_close(&energy);
  }
  if (json != NULL) {
    status = ep_report_platform_json(&summary, ep_output_stream(json));
    if (status != EP_OK) {
      cli_output_discard(json);
      return cli_fail(CLI_EXIT_RUNTIME, "platform: %s", ep_last_error());
    }
    return cli_output_commit("platform", json);
  }
  return CLI_EXIT_OK;
}
