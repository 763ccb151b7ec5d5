/* CPU topology and named core sets: which CPUs are fast and which slow, which share a core,
 * which this process may use, and the sets experiments run on ("big", "little", "all", ...).
 *
 * Read from sysfs (a root folder given by the caller, "/sys" on a real machine, a fake tree in
 * tests):
 *   - Arm big.LITTLE / DynamIQ clusters: devices/system/cpu/cpuN/cpu_capacity (the scheduler's
 *     relative performance, 1024 for the fastest) or, where capacities are all equal or missing,
 *     cpufreq/cpuinfo_max_freq (CPUs whose maximum frequency is within 15% of a faster group's
 *     belong to that group; this keeps Intel "favoured cores" in one group);
 *   - Arm core types: devices/system/cpu/cpuN/regs/identification/midr_el1, else the "CPU
 *     implementer" and "CPU part" lines of /proc/cpuinfo, read as <root>/../proc/cpuinfo when
 *     the root's last component is "sys" ("/sys" -> "/proc/cpuinfo"; a test fixture
 *     "board/sys" -> "board/proc/cpuinfo"). They name each CPU ("Cortex-A57", "Denver 2") and,
 *     where capacities are all equal or missing and the CPUs are of two or more types, they
 *     form the clusters: one per core type, ordered by ep_arm_core_name's per-clock figure
 *     times the maximum frequency (a Jetson TX2 gives every CPU capacity 1024 and 2.04 GHz,
 *     yet its 2 Denver 2 cores are the big ones, its 4 Cortex-A57 the little ones);
 *   - Intel hybrid P/E cores: devices/cpu_core/cpus and devices/cpu_atom/cpus (perf's PMU lists);
 *   - SMT siblings: topology/core_cpus_list, or topology/thread_siblings_list on older kernels;
 *   - CPUs online: devices/system/cpu/online (else the cpuN folders);
 *   - the cgroup's cpuset: fs/cgroup/cpuset.cpus.effective (v2) or
 *     fs/cgroup/cpuset/cpuset.effective_cpus (v1), when present.
 * The CPUs the process may use are those passed in (ep_cpus_allowed on a real machine) that are
 * online and in the cpuset. Core sets only ever hold such CPUs.
 *
 * Named sets, in this order:
 *   big, little   two clusters (Arm) or P-cores and E-cores (Intel hybrid);
 *   cluster0..n   three or more clusters, fastest first; then big is every cluster but the
 *                 slowest and little the slowest;
 *   all           every CPU the process may use;
 *   physical      with SMT, one thread (the lowest allowed) per physical core;
 *   one           on a homogeneous machine, the first allowed CPU (so that thread scaling and
 *                 oversubscription can be measured everywhere).
 * Worker i of a session runs on cpus[i % n]; a set lists its fastest cluster's CPUs first, so
 * that 4 threads on "all" of a 4 big + 4 little phone run on the big cores.
 * A cluster none of whose CPUs is allowed has no set. ep_topology_define_set adds or replaces
 * a set ("--core-set name=cpulist").
 *
 * Thread-safety: a topology is plain data; detect and define allocate/modify only their own. */
#ifndef EDGEPROF_TOPOLOGY_H
#define EDGEPROF_TOPOLOGY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "edgeprof/platform.h"
#include "edgeprof/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define EP_CORE_SET_NAME_MAX 32
#define EP_TOPOLOGY_MAX_SETS 24

typedef struct ep_core_set {
  char name[EP_CORE_SET_NAME_MAX]; /* [a-z0-9_-], starts with a letter */
  char description[128];           /* "4 big cores (capacity 1024, 2.84 GHz)" */
  int n_cpus;
  int cpus[EP_MAX_CPUS]; /* pinning order: fastest cluster first, then ascending */
  bool user_defined;     /* from ep_topology_define_set */
} ep_core_set;

typedef struct ep_topology_cpu {
  int id;
  bool allowed;         /* online, in the allowed list and in the cgroup's cpuset */
  int cluster;          /* index of its performance group, 0 = fastest */
  int capacity;         /* cpu_capacity; 0 when unknown */
  int64_t max_freq_khz; /* cpufreq/cpuinfo_max_freq; 0 when unknown */
  int core;             /* the lowest CPU id among its SMT siblings (its physical core) */
  uint32_t midr;        /* Arm Main ID Register (implementer, variant, part, revision); 0 elsewhere */
  char core_name[40];   /* "Cortex-A57", "Denver 2", "P-core", "E-core"; "" when unknown */
} ep_topology_cpu;

typedef struct ep_topology {
  char root[256];   /* the sysfs root read */
  char kind[48];    /* "homogeneous", "big.LITTLE", "3 clusters", "Intel hybrid" */
  char source[96];  /* what told the clusters apart: "cpu_capacity", "MIDR core types",
                       "cpuinfo_max_freq", "cpu_core/cpu_atom", or "" when homogeneous */
  char allowed_from[96]; /* "affinity", "affinity and cgroup cpuset" */
  int n_cpus;       /* CPUs online */
  ep_topology_cpu cpus[EP_MAX_CPUS]; /* [n_cpus], ascending id */
  int n_allowed;
  int allowed[EP_MAX_CPUS]; /* ascending */
  int n_clusters;           /* performance groups among the online CPUs (1: homogeneous) */
  int threads_per_core;     /* most SMT siblings of any core (1: no SMT) */
  int n_sets;
  ep_core_set sets[EP_TOPOLOGY_MAX_SETS];
  int n_notes;
  char notes[4][160]; /* what was left out and why ("big cores 4-7 are not allowed ...") */
} ep_topology;

/* The name of an Arm core from its MIDR (implementer bits 31:24, part bits 15:4): "Cortex-A53",
 * "Denver 2", "Kryo 3xx Gold (Cortex-A75)"; NULL when the table does not know it.
 * `per_clock_out` (may be NULL) receives a rough figure of work per clock relative to a
 * Cortex-A53 (0 when unknown), used only to order core types. Static storage. */
const char* ep_arm_core_name(uint32_t midr, double* per_clock_out);

/* The core names of a cluster's CPUs, distinct ones joined by " + " ("Denver 2"); "" when none
 * is known. Returns buf. */
char* ep_topology_cluster_name(const ep_topology* topology, int cluster, char* buf, size_t size);

/* Reads the topology under `sysfs_root` (NULL: "/sys") for a process allowed to run on
 * `allowed` (NULL or n_allowed 0: ep_cpus_allowed()). Never fails for missing files: what is
 * not there is unknown and the machine counts as homogeneous. EP_ERR_INVALID_ARGUMENT when no
 * allowed CPU is online; EP_ERR_OUT_OF_MEMORY. Free with ep_topology_destroy. */
ep_status ep_topology_detect(const char* sysfs_root, const int* allowed, int n_allowed,
                             ep_topology** topology_out);
/* NULL is a no-op. */
void ep_topology_destroy(ep_topology* topology);

/* The set named `name`, NULL if none. */
const ep_core_set* ep_topology_find(const ep_topology* topology, const char* name);

/* Adds or replaces a set from "name=cpulist" ("fast=4-7"). The list is parsed with
 * ep_cpulist_parse and every CPU must be allowed (in topology->allowed); the message names
 * the first that is not. EP_ERR_INVALID_ARGUMENT for a bad name, list or CPU. */
ep_status ep_topology_define_set(ep_topology* topology, const char* spec);

/* Human-readable listing: kind, CPUs (capacity, frequency, core), allowed CPUs, the sets and
 * the notes. Returns EP_ERR_IO if the stream fails. */
ep_status ep_topology_format(const ep_topology* topology, FILE* out);

#ifdef __cplusplus
}
#endif

#endif /* EDGEPROF_TOPOLOGY_H */
