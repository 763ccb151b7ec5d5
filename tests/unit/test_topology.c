/* CPU topology and core sets on fake sysfs trees built here: a phone with 4 big + 4 little
 * cores (cpu_capacity and cpufreq, then cpufreq only), a DynamIQ phone with three clusters, an
 * Intel hybrid laptop, an SMT server, cgroup-restricted containers, a machine without sysfs; and
 * --core-set definitions. Then the recorded trees of real boards in tests/fixtures/ (Jetson TX2,
 * Snapdragon 835 and 845 phones, RK3399, Raspberry Pi 4, an Alder Lake laptop): core names from
 * MIDR, clusters and the big / little / all sets. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "edgeprof/topology.h"
#include "test_support.h"

static char base[256];
static int tree_count;

static void make_dirs(const char* path) {
  char buf[1024];
  snprintf(buf, sizeof buf, "%s", path);
  for (char* p = buf + 1; *p; p++) {
    if (*p != '/') continue;
    *p = '\0';
    mkdir(buf, 0777);
    *p = '/';
  }
  mkdir(buf, 0777);
}

/* Writes root/rel with printf-formatted contents (a trailing newline, as sysfs has). */
static void put(const char* root, const char* rel, const char* format, ...)
    __attribute__((format(printf, 3, 4)));
static void put(const char* root, const char* rel, const char* format, ...) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s", root, rel);
  char* slash = strrchr(path, '/');
  *slash = '\0';
  make_dirs(path);
  *slash = '/';
  FILE* f = fopen(path, "w");
  if (f == NULL) {
    fprintf(stderr, "cannot write %s: %s\n", path, strerror(errno));
    ep_test_failed++;
    return;
  }
  va_list args;
  va_start(args, format);
  vfprintf(f, format, args);
  va_end(args);
  fputc('\n', f);
  fclose(f);
}

static void new_tree(char* root, size_t size) {
  snprintf(root, size, "%s/tree%d", base, tree_count++);
  make_dirs(root);
}

static void put_cpu(const char* root, int cpu, int capacity, long freq_khz, const char* siblings) {
  char rel[256];
  if (capacity > 0) {
    snprintf(rel, sizeof rel, "devices/system/cpu/cpu%d/cpu_capacity", cpu);
    put(root, rel, "%d", capacity);
  }
  if (freq_khz > 0) {
    snprintf(rel, sizeof rel, "devices/system/cpu/cpu%d/cpufreq/cpuinfo_max_freq", cpu);
    put(root, rel, "%ld", freq_khz);
  }
  snprintf(rel, sizeof rel, "devices/system/cpu/cpu%d/topology/thread_siblings_list", cpu);
  if (siblings != NULL) {
    put(root, rel, "%s", siblings);
  } else {
    put(root, rel, "%d", cpu);
  }
}

static const int* range(int lo, int hi) {
  static int ids[EP_MAX_CPUS];
  for (int c = lo; c <= hi; c++) ids[c - lo] = c;
  return ids;
}

/* "name=list" of every set, in order: "big=4-7 little=0-3 all=0-7". */
static void sets_text(const ep_topology* t, char* buf, size_t size) {
  buf[0] = '\0';
  for (int i = 0; i < t->n_sets; i++) {
    char list[256];
    size_t len = strlen(buf);
    snprintf(buf + len, size - len, "%s%s=%s", i ? " " : "", t->sets[i].name,
             ep_cpulist_format(t->sets[i].cpus, t->sets[i].n_cpus, list, sizeof list));
  }
}

static void expect_sets(const ep_topology* t, const char* want) {
  char got[1024];
  sets_text(t, got, sizeof got);
  EP_CHECK_MSG(strcmp(got, want) == 0, "sets: got '%s', want '%s'", got, want);
}

static void test_phone_capacity(void) {
  char root[512];
  new_tree(root, sizeof root);
  put(root, "devices/system/cpu/online", "0-7");
  for (int c = 0; c < 4; c++) put_cpu(root, c, 446, 1900800, NULL);
  for (int c = 4; c < 8; c++) put_cpu(root, c, 1024, 2841600, NULL);
  ep_topology* t = NULL;
  EP_CHECK_OK(ep_topology_detect(root, range(0, 7), 8, &t));
  if (t == NULL) return;
  EP_CHECK(strcmp(t->kind, "big.LITTLE") == 0);
  EP_CHECK(strcmp(t->source, "cpu_capacity") == 0);
  EP_CHECK(t->n_cpus == 8 && t->n_allowed == 8 && t->n_clusters == 2);
  EP_CHECK(t->threads_per_core == 1);
  expect_sets(t, "big=4-7 little=0-3 all=4-7,0-3");
  const ep_core_set* big = ep_topology_find(t, "big");
  EP_CHECK(big != NULL && strstr(big->description, "capacity 1024") != NULL &&
           strstr(big->description, "2.84 GHz") != NULL);
  EP_CHECK(ep_topology_find(t, "one") == NULL && ep_topology_find(t, "physical") == NULL);
  EP_CHECK(t->cpus[0].cluster == 1 && t->cpus[7].cluster == 0);
  /* Listing. */
  char* text = NULL;
  size_t len = 0;
  FILE* f = open_memstream(&text, &len);
  EP_CHECK_OK(ep_topology_format(t, f));
  fclose(f);
  EP_CHECK(text != NULL && strstr(text, "big.LITTLE") != NULL && strstr(text, "little") != NULL);
  free(text);
  ep_topology_destroy(t);
}

/* No cpu_capacity (older kernels): the maximum frequencies tell the clusters apart; a CPU whose
 * frequency file is missing joins the slowest. */
static void test_phone_frequency(void) {
  char root[512];
  new_tree(root, sizeof root);
  put(root, "devices/system/cpu/online", "0-7");
  for (int c = 0; c < 4; c++) put_cpu(root, c, 0, c == 3 ? 0 : 1800000, NULL);
  for (int c = 4; c < 8; c++) put_cpu(root, c, 0, 2400000, NULL);
  ep_topology* t = NULL;
  EP_CHECK_OK(ep_topology_detect(root, range(0, 7), 8, &t));
  if (t == NULL) return;
  EP_CHECK(strcmp(t->source, "cpuinfo_max_freq") == 0);
  expect_sets(t, "big=4-7 little=0-3 all=4-7,0-3");
  ep_topology_destroy(t);
}

static void test_dynamiq_three_clusters(void) {
  char root[512];
  new_tree(root, sizeof root);
  put(root, "devices/system/cpu/online", "0-7");
  for (int c = 0; c < 4; c++) put_cpu(root, c, 325, 1804800, NULL);
  for (int c = 4; c < 7; c++) put_cpu(root, c, 870, 2419200, NULL);
  put_cpu(root, 7, 1024, 2841600, NULL);
  ep_topology* t = NULL;
  EP_CHECK_OK(ep_topology_detect(root, range(0, 7), 8, &t));
  if (t == NULL) return;
  EP_CHECK(t->n_clusters == 3 && strcmp(t->kind, "3 clusters") == 0);
  expect_sets(t, "cluster0=7 cluster1=4-6 cluster2=0-3 big=7,4-6 little=0-3 all=7,4-6,0-3");
  ep_topology_destroy(t);
}

/* i7-1260P: 4 P-cores with two threads each (0-7), 8 E-cores (8-15). */
static void test_intel_hybrid(void) {
  char root[512];
  new_tree(root, sizeof root);
  put(root, "devices/system/cpu/online", "0-15");
  put(root, "devices/cpu_core/cpus", "0-7");
  put(root, "devices/cpu_atom/cpus", "8-15");
  for (int c = 0; c < 8; c++) {
    char siblings[32];
    snprintf(siblings, sizeof siblings, "%d-%d", c & ~1, (c & ~1) + 1);
    put_cpu(root, c, 0, 4700000, siblings);
  }
  for (int c = 8; c < 16; c++) put_cpu(root, c, 0, 3400000, NULL);
  ep_topology* t = NULL;
  EP_CHECK_OK(ep_topology_detect(root, range(0, 15), 16, &t));
  if (t == NULL) return;
  EP_CHECK(strcmp(t->kind, "Intel hybrid") == 0);
  EP_CHECK(strcmp(t->source, "cpu_core/cpu_atom") == 0);
  EP_CHECK(t->threads_per_core == 2);
  expect_sets(t, "big=0-7 little=8-15 all=0-15 physical=0,2,4,6,8-15");
  const ep_core_set* big = ep_topology_find(t, "big");
  EP_CHECK(big != NULL && strstr(big->description, "P-cores") != NULL);
  EP_CHECK(t->cpus[3].core == 2);
  ep_topology_destroy(t);
}

/* Two sockets of 4 cores x 2 threads, siblings i and i+8 (core_cpus_list, the newer file);
 * "favoured" cores 5% faster stay in one group. */
static void test_smt_server(void) {
  char root[512];
  new_tree(root, sizeof root);
  put(root, "devices/system/cpu/online", "0-15");
  for (int c = 0; c < 16; c++) {
    char rel[128];
    put_cpu(root, c, 0, c % 8 < 2 ? 3700000 : 3500000, NULL);
    snprintf(rel, sizeof rel, "devices/system/cpu/cpu%d/topology/core_cpus_list", c);
    put(root, rel, "%d,%d", c % 8, c % 8 + 8);
  }
  ep_topology* t = NULL;
  EP_CHECK_OK(ep_topology_detect(root, range(0, 15), 16, &t));
  if (t == NULL) return;
  EP_CHECK(strcmp(t->kind, "homogeneous") == 0 && t->n_clusters == 1);
  EP_CHECK(t->threads_per_core == 2);
  expect_sets(t, "all=0-15 physical=0-7 one=0");
  ep_topology_destroy(t);
}

/* A container: the affinity mask allows 0-7, the cgroup's cpuset only 2-3. */
static void test_cgroup_container(void) {
  char root[512];
  new_tree(root, sizeof root);
  put(root, "devices/system/cpu/online", "0-7");
  for (int c = 0; c < 8; c++) put_cpu(root, c, 1024, 0, NULL);
  put(root, "fs/cgroup/cpuset.cpus.effective", "2-3");
  ep_topology* t = NULL;
  EP_CHECK_OK(ep_topology_detect(root, range(0, 7), 8, &t));
  if (t == NULL) return;
  EP_CHECK(strcmp(t->allowed_from, "affinity and cgroup cpuset") == 0);
  EP_CHECK(t->n_allowed == 2 && t->allowed[0] == 2 && t->allowed[1] == 3);
  EP_CHECK(t->cpus[0].allowed == false && t->cpus[2].allowed == true);
  expect_sets(t, "all=2-3 one=2");
  /* A set may only hold allowed CPUs. */
  EP_CHECK(ep_topology_define_set(t, "x=0-3") == EP_ERR_INVALID_ARGUMENT);
  EP_CHECK(strstr(ep_last_error(), "CPU 0") != NULL);
  ep_topology_destroy(t);

  /* cgroup v1 file, and a phone container restricted to its little cores: no big set. */
  new_tree(root, sizeof root);
  put(root, "devices/system/cpu/online", "0-7");
  for (int c = 0; c < 4; c++) put_cpu(root, c, 446, 1900800, NULL);
  for (int c = 4; c < 8; c++) put_cpu(root, c, 1024, 2841600, NULL);
  put(root, "fs/cgroup/cpuset/cpuset.effective_cpus", "0-3");
  EP_CHECK_OK(ep_topology_detect(root, range(0, 7), 8, &t));
  if (t == NULL) return;
  expect_sets(t, "little=0-3 all=0-3");
  EP_CHECK(t->n_notes == 1 && strstr(t->notes[0], "'big'") != NULL);
  ep_topology_destroy(t);

  /* taskset: the allowed list given is a subset; offline CPUs are left out. */
  new_tree(root, sizeof root);
  put(root, "devices/system/cpu/online", "0-2,4-7");
  for (int c = 0; c < 8; c++) put_cpu(root, c, 446 + (c >= 4) * 578, 0, NULL);
  int allowed[] = {3, 4, 5};
  EP_CHECK_OK(ep_topology_detect(root, allowed, 3, &t));
  if (t == NULL) return;
  expect_sets(t, "big=4-5 all=4-5");
  EP_CHECK(t->n_cpus == 7);
  ep_topology_destroy(t);
}

static void test_no_sysfs(void) {
  char root[512];
  new_tree(root, sizeof root);
  ep_topology* t = NULL;
  EP_CHECK_OK(ep_topology_detect(root, range(0, 1), 2, &t));
  if (t == NULL) return;
  EP_CHECK(strcmp(t->kind, "homogeneous") == 0 && t->n_notes == 1);
  expect_sets(t, "all=0-1 one=0");
  ep_topology_destroy(t);
  /* Nothing allowed is online. */
  put(root, "devices/system/cpu/online", "0-1");
  int far[] = {5};
  t = NULL;
  EP_CHECK(ep_topology_detect(root, far, 1, &t) == EP_ERR_INVALID_ARGUMENT && t == NULL);
  EP_CHECK(strstr(ep_last_error(), "online") != NULL);
}

static void test_define_sets(void) {
  char root[512];
  new_tree(root, sizeof root);
  put(root, "devices/system/cpu/online", "0-7");
  for (int c = 0; c < 4; c++) put_cpu(root, c, 446, 0, NULL);
  for (int c = 4; c < 8; c++) put_cpu(root, c, 1024, 0, NULL);
  ep_topology* t = NULL;
  EP_CHECK_OK(ep_topology_detect(root, range(0, 7), 8, &t));
  if (t == NULL) return;
  EP_CHECK_OK(ep_topology_define_set(t, "fast-2=6,4"));
  EP_CHECK_OK(ep_topology_define_set(t, "big=4"));
  EP_CHECK_OK(ep_topology_define_set(t, "mixed=0,5"));
  expect_sets(t, "big=4 little=0-3 all=4-7,0-3 fast-2=4,6 mixed=5,0");
  EP_CHECK(ep_topology_find(t, "big")->user_defined && !ep_topology_find(t, "all")->user_defined);
  EP_CHECK(ep_topology_define_set(t, "Big=1") == EP_ERR_INVALID_ARGUMENT);
  EP_CHECK(ep_topology_define_set(t, "=1") == EP_ERR_INVALID_ARGUMENT);
  EP_CHECK(ep_topology_define_set(t, "x") == EP_ERR_INVALID_ARGUMENT);
  EP_CHECK(ep_topology_define_set(t, "x=1-") == EP_ERR_INVALID_ARGUMENT);
  EP_CHECK(ep_topology_define_set(t, "x=9") == EP_ERR_INVALID_ARGUMENT);
  EP_CHECK(strstr(ep_last_error(), "CPU 9 is not available") != NULL);
  EP_CHECK(ep_topology_define_set(t, "x=") == EP_ERR_INVALID_ARGUMENT);
  EP_CHECK(ep_topology_find(t, "x") == NULL);
  ep_topology_destroy(t);
  ep_topology_destroy(NULL);
}


/* tests/fixtures beside this file's folder (CMake compiles with absolute paths), or
 * $EP_FIXTURES. */

static ep_topology* detect_board(const char* board, int n_cpus) {
  char root[1200];
  snprintf(root, sizeof root, "%s/%s/sys", ep_test_fixtures_dir(), board);
  ep_topology* t = NULL;
  EP_CHECK_MSG(ep_topology_detect(root, range(0, n_cpus - 1), n_cpus, &t) == EP_OK,
               "%s: %s", board, ep_last_error());
  return t;
}

/* "name name ..." of every CPU, and "cluster:name" of every cluster. */
static void expect_names(const ep_topology* t, const char* want_cpus, const char* want_clusters) {
  char got[1024] = "";
  for (int i = 0; i < t->n_cpus; i++) {
    size_t len = strlen(got);
    snprintf(got + len, sizeof got - len, "%s%s", i ? "," : "", t->cpus[i].core_name);
  }
  EP_CHECK_MSG(strcmp(got, want_cpus) == 0, "core names: got '%s', want '%s'", got, want_cpus);
  got[0] = '\0';
  for (int c = 0; c < t->n_clusters; c++) {
    char name[128];
    size_t len = strlen(got);
    snprintf(got + len, sizeof got - len, "%s%d:%s", c ? " " : "", c,
             ep_topology_cluster_name(t, c, name, sizeof name));
  }
  EP_CHECK_MSG(strcmp(got, want_clusters) == 0, "clusters: got '%s', want '%s'", got,
               want_clusters);
}

/* Jetson TX2 in MAXN: every CPU at 2.04 GHz and no cpu_capacity (kernel 4.9), so only the core
 * types from /proc/cpuinfo tell the 2 Denver 2 cores (1-2) from the 4 Cortex-A57 (0, 3-5). */
static void test_board_jetson_tx2(void) {
  ep_topology* t = detect_board("jetson-tx2", 6);
  if (t == NULL) return;
  EP_CHECK(strcmp(t->kind, "big.LITTLE") == 0);
  EP_CHECK_MSG(strcmp(t->source, "MIDR core types") == 0, "source %s", t->source);
  EP_CHECK(t->cpus[1].midr == 0x4e0f0030u && t->cpus[0].midr == 0x411fd073u);
  expect_names(t, "Cortex-A57,Denver 2,Denver 2,Cortex-A57,Cortex-A57,Cortex-A57",
               "0:Denver 2 1:Cortex-A57");
  expect_sets(t, "big=1-2 little=0,3-5 all=1-2,0,3-5");
  const ep_core_set* big = ep_topology_find(t, "big");
  EP_CHECK(big != NULL && strstr(big->description, "Denver 2") != NULL &&
           strstr(big->description, "2.04 GHz") != NULL);
  const ep_core_set* little = ep_topology_find(t, "little");
  EP_CHECK(little != NULL && strstr(little->description, "Cortex-A57") != NULL);
  char* text = NULL;
  size_t len = 0;
  FILE* f = open_memstream(&text, &len);
  EP_CHECK_OK(ep_topology_format(t, f));
  fclose(f);
  EP_CHECK(text != NULL && strstr(text, "CPUs 1-2 (Denver 2, 2.04 GHz)") != NULL &&
           strstr(text, "CPUs 0,3-5 (Cortex-A57, 2.04 GHz)") != NULL);
  free(text);
  ep_topology_destroy(t);
}

/* The paper's Edge CPU A (OnePlus 5T): Kryo 280 Gold 4-7 big, Silver 0-3 little. */
static void test_board_phone_sd835(void) {
  ep_topology* t = detect_board("phone-sd835", 8);
  if (t == NULL) return;
  EP_CHECK(strcmp(t->kind, "big.LITTLE") == 0);
  expect_names(t,
               "Kryo 2xx Silver (Cortex-A53),Kryo 2xx Silver (Cortex-A53),"
               "Kryo 2xx Silver (Cortex-A53),Kryo 2xx Silver (Cortex-A53),"
               "Kryo 2xx Gold (Cortex-A73),Kryo 2xx Gold (Cortex-A73),"
               "Kryo 2xx Gold (Cortex-A73),Kryo 2xx Gold (Cortex-A73)",
               "0:Kryo 2xx Gold (Cortex-A73) 1:Kryo 2xx Silver (Cortex-A53)");
  expect_sets(t, "big=4-7 little=0-3 all=4-7,0-3");
  ep_topology_destroy(t);
}

/* Snapdragon 845: cpu_capacity tells the clusters apart; sysfs midr_el1 names them. */
static void test_board_phone_sd845(void) {
  ep_topology* t = detect_board("phone-sd845", 8);
  if (t == NULL) return;
  EP_CHECK(strcmp(t->source, "cpu_capacity") == 0);
  EP_CHECK(t->cpus[0].capacity == 385 && t->cpus[7].capacity == 1024);
  expect_names(t,
               "Kryo 3xx Silver (Cortex-A55),Kryo 3xx Silver (Cortex-A55),"
               "Kryo 3xx Silver (Cortex-A55),Kryo 3xx Silver (Cortex-A55),"
               "Kryo 3xx Gold (Cortex-A75),Kryo 3xx Gold (Cortex-A75),"
               "Kryo 3xx Gold (Cortex-A75),Kryo 3xx Gold (Cortex-A75)",
               "0:Kryo 3xx Gold (Cortex-A75) 1:Kryo 3xx Silver (Cortex-A55)");
  expect_sets(t, "big=4-7 little=0-3 all=4-7,0-3");
  ep_topology_destroy(t);
}

/* RK3399: 2 Cortex-A72 (4-5) big, 4 Cortex-A53 (0-3) little; no /proc/cpuinfo in the tree. */
static void test_board_rk3399(void) {
  ep_topology* t = detect_board("rk3399", 6);
  if (t == NULL) return;
  EP_CHECK(strcmp(t->kind, "big.LITTLE") == 0 && strcmp(t->source, "cpu_capacity") == 0);
  expect_names(t, "Cortex-A53,Cortex-A53,Cortex-A53,Cortex-A53,Cortex-A72,Cortex-A72",
               "0:Cortex-A72 1:Cortex-A53");
  expect_sets(t, "big=4-5 little=0-3 all=4-5,0-3");
  const ep_core_set* big = ep_topology_find(t, "big");
  EP_CHECK(big != NULL && strstr(big->description, "2 big cores (Cortex-A72, capacity 1024, "
                                                   "1.80 GHz)") != NULL);
  ep_topology_destroy(t);
}

/* Raspberry Pi 4: four Cortex-A72, nothing big or little. */
static void test_board_raspberry_pi4(void) {
  ep_topology* t = detect_board("raspberry-pi4", 4);
  if (t == NULL) return;
  EP_CHECK(strcmp(t->kind, "homogeneous") == 0 && t->n_clusters == 1);
  expect_names(t, "Cortex-A72,Cortex-A72,Cortex-A72,Cortex-A72", "0:Cortex-A72");
  expect_sets(t, "all=0-3 one=0");
  ep_topology_destroy(t);
}

/* i7-1260P: P-cores (with their SMT siblings) big, E-cores little. */
static void test_board_laptop_hybrid(void) {
  ep_topology* t = detect_board("laptop-i7-1260p", 16);
  if (t == NULL) return;
  EP_CHECK(strcmp(t->kind, "Intel hybrid") == 0 && t->threads_per_core == 2);
  EP_CHECK(strcmp(t->cpus[0].core_name, "P-core") == 0 &&
           strcmp(t->cpus[15].core_name, "E-core") == 0);
  expect_sets(t, "big=0-7 little=8-15 all=0-15 physical=0,2,4,6,8-15");
  ep_topology_destroy(t);
}

/* The MIDR table and /proc/cpuinfo next to a root that is not named "sys": not read. */
static void test_midr_table(void) {
  double per_clock = 0.0;
  EP_CHECK(strcmp(ep_arm_core_name(0x410fd034u, &per_clock), "Cortex-A53") == 0 &&
           per_clock == 1.0);
  EP_CHECK(strcmp(ep_arm_core_name(0x4e0f0030u, NULL), "Denver 2") == 0);
  EP_CHECK(strcmp(ep_arm_core_name(0x4e0f0040u, NULL), "Carmel") == 0);
  EP_CHECK(strcmp(ep_arm_core_name(0x411fd0b0u, NULL), "Cortex-A76") == 0);
  EP_CHECK(strcmp(ep_arm_core_name(0x410fd440u, NULL), "Cortex-X1") == 0);
  EP_CHECK(ep_arm_core_name(0x12345670u, &per_clock) == NULL && per_clock == 0.0);
  /* An unknown part still gets a name, and a one-block cpuinfo (old 32-bit kernels) applies to
   * every CPU. */
  char root[512], sys[600];
  new_tree(root, sizeof root);
  snprintf(sys, sizeof sys, "%s/sys", root);
  put(sys, "devices/system/cpu/online", "0-1");
  put(root, "proc/cpuinfo",
      "processor\t: 0\nprocessor\t: 1\nFeatures\t: half thumb\nCPU implementer\t: 0x41\n"
      "CPU architecture: 7\nCPU variant\t: 0x0\nCPU part\t: 0xfff\nCPU revision\t: 0\n");
  ep_topology* t = NULL;
  EP_CHECK_OK(ep_topology_detect(sys, range(0, 1), 2, &t));
  if (t == NULL) return;
  EP_CHECK_MSG(strcmp(t->cpus[1].core_name, "Arm implementer 0x41 part 0xfff") == 0, "got '%s'",
               t->cpus[1].core_name);
  ep_topology_destroy(t);
}

/* The real machine: whatever it is, `all` holds exactly the allowed CPUs. */
static void test_this_machine(void) {
  ep_topology* t = NULL;
  EP_CHECK_OK(ep_topology_detect(NULL, NULL, 0, &t));
  if (t == NULL) return;
  int allowed[EP_MAX_CPUS];
  int n = ep_cpus_allowed(allowed, EP_MAX_CPUS);
  const ep_core_set* all = ep_topology_find(t, "all");
  EP_CHECK(all != NULL && all->n_cpus <= n && all->n_cpus >= 1);
  ep_topology_destroy(t);
}

int main(void) {
  snprintf(base, sizeof base, "%s/ep-topology-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR")
                                                                        : "/tmp");
  if (mkdtemp(base) == NULL) {
    perror("mkdtemp");
    return 1;
  }
  test_phone_capacity();
  test_phone_frequency();
  test_dynamiq_three_clusters();
  test_intel_hybrid();
  test_smt_server();
  test_cgroup_container();
  test_no_sysfs();
  test_define_sets();
  test_board_jetson_tx2();
  test_board_phone_sd835();
  test_board_phone_sd845();
  test_board_rk3399();
  test_board_raspberry_pi4();
  test_board_laptop_hybrid();
  test_midr_table();
  test_this_machine();
  char cmd[512];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", base);
  return ep_test_finish();
}
