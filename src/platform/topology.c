/* CPU topology from sysfs and the named core sets (see edgeprof/topology.h). */
#include "edgeprof/topology.h"

#include <ctype.h>
#include <dirent.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Within a group, a CPU whose figure is below this fraction of the group's fastest starts a new
 * group. Capacities of one cluster are equal; maximum frequencies of "favoured cores" on Intel
 * and AMD differ by a few percent, while big and little clusters differ by 20% or more. */
#define CAPACITY_TOLERANCE 0.95
#define FREQUENCY_TOLERANCE 0.85

/* Reads a small sysfs file into buf, trailing whitespace removed. False if unreadable/empty. */
static bool read_text(const char* root, const char* rel, char* buf, size_t size) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", root, rel);
  FILE* f = fopen(path, "r");
  if (f == NULL) return false;
  size_t n = fread(buf, 1, size - 1, f);
  fclose(f);
  buf[n] = '\0';
  while (n > 0 && isspace((unsigned char)buf[n - 1])) buf[--n] = '\0';
  return n > 0;
}

static int64_t read_int(const char* root, const char* rel) {
  char buf[64];
  if (!read_text(root, rel, buf, sizeof buf)) return 0;
  char* end;
  long long v = strtoll(buf, &end, 10);
  return *end == '\0' && v > 0 ? (int64_t)v : 0;
}

/* A CPU list file into a membership map; false if missing or malformed. */
static bool read_cpulist(const char* root, const char* rel, bool* member) {
  static _Thread_local int ids[EP_MAX_CPUS];
  char buf[4096];
  int n = 0;
  if (!read_text(root, rel, buf, sizeof buf)) return false;
  if (ep_cpulist_parse(buf, ids, EP_MAX_CPUS, &n) != EP_OK) return false;
  memset(member, 0, EP_MAX_CPUS * sizeof *member);
  for (int i = 0; i < n; i++) member[ids[i]] = true;
  return true;
}

/* The cpuN folders when there is no "online" file. */
static int scan_cpu_folders(const char* root, bool* online) {
  char path[512];
  snprintf(path, sizeof path, "%s/devices/system/cpu", root);
  DIR* d = opendir(path);
  if (d == NULL) return 0;
  int count = 0;
  for (struct dirent* e; (e = readdir(d)) != NULL;) {
    const char* p = e->d_name;
    if (strncmp(p, "cpu", 3) != 0 || !isdigit((unsigned char)p[3])) continue;
    char* end;
    long id = strtol(p + 3, &end, 10);
    if (*end != '\0' || id < 0 || id >= EP_MAX_CPUS) continue;
    if (!online[id]) count++;
    online[id] = true;
  }
  closedir(d);
  return count;
}

/* /proc/cpuinfo beside a sysfs root whose last component is "sys"; false otherwise. */
static bool cpuinfo_path(const char* root, char* buf, size_t size) {
  size_t len = strlen(root);
  while (len > 1 && root[len - 1] == '/') len--;
  if (len < 3 || strncmp(root + len - 3, "sys", 3) != 0 || (len > 3 && root[len - 4] != '/')) {
    return false;
  }
  snprintf(buf, size, "%.*sproc/cpuinfo", (int)(len - 3), root);
  return true;
}

/* MIDR of every CPU from /proc/cpuinfo's "CPU implementer/variant/part/revision" lines. A
 * block that follows "processor : N" belongs to CPU N; lines before any "processor" line (old
 * 32-bit kernels print one block for the whole machine) apply to every CPU. */
static void read_cpuinfo_midr(const char* root, uint32_t* midr) {
  char path[600];
  if (!cpuinfo_path(root, path, sizeof path)) return;
  FILE* f = fopen(path, "r");
  if (f == NULL) return;
  uint32_t fields[4] = {0}; /* implementer, variant, part, revision */
  bool seen[4] = {false};
  int cpu = -1;
  uint32_t global = 0;
  char line[512];
  for (bool more = true; more;) {
    more = fgets(line, sizeof line, f) != NULL;
    char* colon = more ? strchr(line, ':') : NULL;
    bool processor = colon != NULL && strncmp(line, "processor", 9) == 0;
    if (!more || processor) { /* the block before ends */
      if (seen[0] && seen[2]) {
        uint32_t v = (fields[0] & 0xff) << 24 | (fields[1] & 0xf) << 20 | 0xfu << 16 |
                     (fields[2] & 0xfff) << 4 | (fields[3] & 0xf);
        if (cpu >= 0 && cpu < EP_MAX_CPUS) {
          midr[cpu] = v;
        } else {
          global = v;
        }
      }
      memset(seen, 0, sizeof seen);
      memset(fields, 0, sizeof fields);
      if (processor) cpu = (int)strtol(colon + 1, NULL, 10);
      continue;
    }
    if (colon == NULL) continue;
    static const char* const keys[4] = {"CPU implementer", "CPU variant", "CPU part",
                                        "CPU revision"};
    for (int k = 0; k < 4; k++) {
      if (strncmp(line, keys[k], strlen(keys[k])) == 0) {
        fields[k] = (uint32_t)strtoul(colon + 1, NULL, 0);
        seen[k] = true;
      }
    }
  }
  fclose(f);
  if (global != 0) {
    for (int c = 0; c < EP_MAX_CPUS; c++) {
      if (midr[c] == 0) midr[c] = global;
    }
  }
}

static void name_core(ep_topology_cpu* cpu) {
  if (cpu->midr == 0) return;
  const char* name = ep_arm_core_name(cpu->midr, NULL);
  if (name != NULL) {
    snprintf(cpu->core_name, sizeof cpu->core_name, "%s", name);
  } else {
    snprintf(cpu->core_name, sizeof cpu->core_name, "Arm implementer 0x%02x part 0x%03x",
             (unsigned)(cpu->midr >> 24) & 0xff, (unsigned)(cpu->midr >> 4) & 0xfff);
  }
}

static void note(ep_topology* t, const char* format, ...) __attribute__((format(printf, 2, 3)));
static void note(ep_topology* t, const char* format, ...) {
  if (t->n_notes == (int)(sizeof t->notes / sizeof t->notes[0])) return;
  va_list args;
  va_start(args, format);
  vsnprintf(t->notes[t->n_notes++], sizeof t->notes[0], format, args);
  va_end(args);
}

static int cmp_desc_int64(const void* a, const void* b) {
  int64_t x = *(const int64_t*)a, y = *(const int64_t*)b;
  return (x < y) - (x > y);
}

/* Groups the online CPUs by `value` (larger = faster) with a tolerance; fills cpu->cluster
 * (0 = fastest) and returns the number of groups. CPUs with an unknown value (0) join the
 * slowest group. */
static int group_by(ep_topology* t, const int64_t* value, double tolerance) {
  int64_t sorted[EP_MAX_CPUS];
  int n = 0;
  for (int i = 0; i < t->n_cpus; i++) {
    if (value[i] > 0) sorted[n++] = value[i];
  }
  if (n == 0) return 1;
  qsort(sorted, (size_t)n, sizeof *sorted, cmp_desc_int64);
  int64_t heads[EP_MAX_CPUS]; /* the fastest value of each group */
  int groups = 0;
  for (int i = 0; i < n; i++) {
    if (groups == 0 || (double)sorted[i] < tolerance * (double)heads[groups - 1]) {
      heads[groups++] = sorted[i];
    }
  }
  for (int i = 0; i < t->n_cpus; i++) {
    int g = groups - 1;
    for (int k = 0; k < groups && value[i] > 0; k++) {
      if ((double)value[i] >= tolerance * (double)heads[k]) {
        g = k;
        break;
      }
    }
    t->cpus[i].cluster = g;
  }
  return groups;
}

/* One group per core type (MIDR implementer and part) when the online CPUs are of two or more
 * known types, ranked by per-clock figure x maximum frequency; CPUs whose type is unknown join
 * the slowest group. Returns the number of groups, 1 when types do not tell CPUs apart. */
static int group_by_core_type(ep_topology* t) {
  uint32_t types[EP_MAX_CPUS];
  double score[EP_MAX_CPUS];
  int n_types = 0;
  for (int i = 0; i < t->n_cpus; i++) {
    uint32_t type = t->cpus[i].midr & 0xff00fff0u;
    if (type == 0) continue;
    int k = 0;
    while (k < n_types && types[k] != type) k++;
    double per_clock = 0.0;
    ep_arm_core_name(type, &per_clock);
    if (per_clock <= 0.0) per_clock = 1.0;
    double ghz = t->cpus[i].max_freq_khz > 0 ? t->cpus[i].max_freq_khz / 1e6 : 1.0;
    if (k == n_types) {
      types[n_types] = type;
      score[n_types++] = per_clock * ghz;
    } else if (per_clock * ghz > score[k]) {
      score[k] = per_clock * ghz;
    }
  }
  if (n_types < 2) return 1;
  for (int i = 0; i < t->n_cpus; i++) {
    uint32_t type = t->cpus[i].midr & 0xff00fff0u;
    int k = 0;
    while (k < n_types && types[k] != type) k++;
    int rank = 0; /* groups scoring higher, ties by first appearance */
    if (k == n_types) {
      rank = n_types - 1;
    } else {
      for (int m = 0; m < n_types; m++) {
        if (score[m] > score[k] || (score[m] == score[k] && m < k)) rank++;
      }
    }
    t->cpus[i].cluster = rank;
  }
  return n_types;
}

/* Pinning order: worker i runs on cpus[i % n], so a set that mixes clusters lists its fastest
 * CPUs first (then by number): 4 threads on big+little use the big cores. */
static void order_fastest_first(const ep_topology* t, int* ids, int n) {
  for (int i = 1; i < n; i++) {
    int v = ids[i], cv = 0;
    for (int k = 0; k < t->n_cpus; k++) {
      if (t->cpus[k].id == v) cv = t->cpus[k].cluster;
    }
    int j = i;
    for (; j > 0; j--) {
      int cu = 0;
      for (int k = 0; k < t->n_cpus; k++) {
        if (t->cpus[k].id == ids[j - 1]) cu = t->cpus[k].cluster;
      }
      if (cu < cv || (cu == cv && ids[j - 1] < v)) break;
      ids[j] = ids[j - 1];
    }
    ids[j] = v;
  }
}

static ep_core_set* new_set(ep_topology* t, const char* name) {
  if (t->n_sets == EP_TOPOLOGY_MAX_SETS) return NULL;
  ep_core_set* s = &t->sets[t->n_sets++];
  memset(s, 0, sizeof *s);
  snprintf(s->name, sizeof s->name, "%s", name);
  return s;
}

char* ep_topology_cluster_name(const ep_topology* t, int cluster, char* buf, size_t size) {
  if (size == 0) return buf;
  buf[0] = '\0';
  for (int i = 0; t != NULL && i < t->n_cpus; i++) {
    const ep_topology_cpu* c = &t->cpus[i];
    if (c->cluster != cluster || c->core_name[0] == '\0') continue;
    bool dup = false;
    for (int k = 0; k < i && !dup; k++) {
      dup = t->cpus[k].cluster == cluster && strcmp(t->cpus[k].core_name, c->core_name) == 0;
    }
    if (dup) continue;
    size_t len = strlen(buf);
    snprintf(buf + len, size - len, "%s%s", len > 0 ? " + " : "", c->core_name);
  }
  return buf;
}

/* " (Denver 2, capacity 1024, 2.04 GHz)" from the cluster's names and its first CPU. */
static void cluster_figures(const ep_topology* t, int cluster, char* buf, size_t size) {
  buf[0] = '\0';
  char name[96];
  ep_topology_cluster_name(t, cluster, name, sizeof name);
  for (int i = 0; i < t->n_cpus; i++) {
    const ep_topology_cpu* c = &t->cpus[i];
    if (c->cluster != cluster) continue;
    char cap[32] = "", freq[32] = "";
    if (c->capacity > 0) snprintf(cap, sizeof cap, "capacity %d", c->capacity);
    if (c->max_freq_khz > 0) snprintf(freq, sizeof freq, "%.2f GHz", c->max_freq_khz / 1e6);
    if (name[0] || cap[0] || freq[0]) {
      snprintf(buf, size, " (%s%s%s%s%s)", name, name[0] && (cap[0] || freq[0]) ? ", " : "", cap,
               cap[0] && freq[0] ? ", " : "", freq);
    }
    return;
  }
}

/* A set of the allowed CPUs of clusters [first, last]; none if no CPU of them is allowed. */
static void add_cluster_set(ep_topology* t, const char* name, int first, int last,
                            const char* what) {
  int ids[EP_MAX_CPUS], n = 0, n_all = 0;
  for (int i = 0; i < t->n_cpus; i++) {
    const ep_topology_cpu* c = &t->cpus[i];
    if (c->cluster < first || c->cluster > last) continue;
    n_all++;
    if (c->allowed) ids[n++] = c->id;
  }
  if (n == 0) {
    char list[256];
    int all[EP_MAX_CPUS], k = 0;
    for (int i = 0; i < t->n_cpus; i++) {
      if (t->cpus[i].cluster >= first && t->cpus[i].cluster <= last) all[k++] = t->cpus[i].id;
    }
    note(t, "no '%s' set: %s %s not available to this process", name, what,
         ep_cpulist_format(all, k, list, sizeof list));
    return;
  }
  ep_core_set* s = new_set(t, name);
  if (s == NULL) return;
  memcpy(s->cpus, ids, (size_t)n * sizeof *ids);
  s->n_cpus = n;
  order_fastest_first(t, s->cpus, n);
  char figures[160] = "";
  if (first == last) cluster_figures(t, first, figures, sizeof figures);
  snprintf(s->description, sizeof s->description, "%d %s%s%s", n, what, figures,
           n < n_all ? ", those allowed" : "");
}

static void add_sets(ep_topology* t, bool hybrid) {
  int k = t->n_clusters;
  if (k == 2) {
    add_cluster_set(t, "big", 0, 0, hybrid ? "P-cores" : "big cores");
    add_cluster_set(t, "little", 1, 1, hybrid ? "E-cores" : "little cores");
  } else if (k > 2) {
    for (int c = 0; c < k; c++) {
      char name[24], what[48];
      snprintf(name, sizeof name, "cluster%d", c);
      snprintf(what, sizeof what, "cores of cluster %d (%s)", c,
               c == 0 ? "fastest" : c == k - 1 ? "slowest" : "middle");
      add_cluster_set(t, name, c, c, what);
    }
    add_cluster_set(t, "big", 0, k - 2, "cores of every cluster but the slowest");
    add_cluster_set(t, "little", k - 1, k - 1, "cores of the slowest cluster");
  }
  ep_core_set* all = new_set(t, "all");
  memcpy(all->cpus, t->allowed, (size_t)t->n_allowed * sizeof *t->allowed);
  all->n_cpus = t->n_allowed;
  order_fastest_first(t, all->cpus, all->n_cpus);
  snprintf(all->description, sizeof all->description, "every CPU this process may use (%d)",
           t->n_allowed);

  /* One allowed thread per physical core, when some core has two or more allowed. */
  int ids[EP_MAX_CPUS], n = 0;
  bool core_taken[EP_MAX_CPUS] = {false};
  for (int i = 0; i < t->n_cpus; i++) {
    const ep_topology_cpu* c = &t->cpus[i];
    if (!c->allowed || core_taken[c->core]) continue;
    core_taken[c->core] = true;
    ids[n++] = c->id;
  }
  if (n < t->n_allowed) {
    ep_core_set* s = new_set(t, "physical");
    if (s != NULL) {
      memcpy(s->cpus, ids, (size_t)n * sizeof *ids);
      s->n_cpus = n;
      order_fastest_first(t, s->cpus, n);
      snprintf(s->description, sizeof s->description,
               "one thread per physical core (%d cores, SMT siblings left idle)", n);
    }
  }
  if (k == 1) {
    ep_core_set* s = new_set(t, "one");
    if (s != NULL) {
      s->cpus[0] = t->allowed[0];
      s->n_cpus = 1;
      snprintf(s->description, sizeof s->description, "one core: CPU %d", t->allowed[0]);
    }
  }
}

ep_status ep_topology_detect(const char* sysfs_root, const int* allowed, int n_allowed,
                             ep_topology** topology_out) {
  if (topology_out == NULL) return ep_error(EP_ERR_INVALID_ARGUMENT, "ep_topology_detect: NULL");
  const char* root = sysfs_root != NULL && sysfs_root[0] != '\0' ? sysfs_root : "/sys";
  ep_topology* t = calloc(1, sizeof *t);
  bool* online = calloc(EP_MAX_CPUS, sizeof *online);
  bool* in_cpuset = calloc(EP_MAX_CPUS, sizeof *in_cpuset);
  bool* member = calloc(EP_MAX_CPUS, sizeof *member);
  int64_t* value = calloc(EP_MAX_CPUS, sizeof *value);
  int* given = calloc(EP_MAX_CPUS, sizeof *given);
  uint32_t* midr = calloc(EP_MAX_CPUS, sizeof *midr);
  ep_status status = EP_OK;
  if (t == NULL || online == NULL || in_cpuset == NULL || member == NULL || value == NULL ||
      given == NULL || midr == NULL) {
    status = ep_error(EP_ERR_OUT_OF_MEMORY, "no memory for the CPU topology");
    goto cleanup;
  }
  snprintf(t->root, sizeof t->root, "%s", root);

  /* Online CPUs. */
  if (!read_cpulist(root, "devices/system/cpu/online", online)) scan_cpu_folders(root, online);
  if (allowed == NULL || n_allowed <= 0) {
    n_allowed = ep_cpus_allowed(given, EP_MAX_CPUS);
  } else {
    if (n_allowed > EP_MAX_CPUS) n_allowed = EP_MAX_CPUS;
    memcpy(given, allowed, (size_t)n_allowed * sizeof *given);
  }
  bool any_online = false;
  for (int c = 0; c < EP_MAX_CPUS; c++) any_online |= online[c];
  if (!any_online) { /* no sysfs at all: trust the allowed list */
    for (int i = 0; i < n_allowed; i++) {
      if (given[i] >= 0 && given[i] < EP_MAX_CPUS) online[given[i]] = true;
    }
    note(t, "no CPU list under %s/devices/system/cpu: the allowed CPUs are taken as the machine",
         root);
  }
  for (int c = 0; c < EP_MAX_CPUS; c++) {
    if (!online[c]) continue;
    ep_topology_cpu* cpu = &t->cpus[t->n_cpus++];
    cpu->id = c;
    cpu->core = c;
  }

  /* Allowed: the given list, online, and in the cgroup's cpuset when there is one. */
  bool have_cpuset = read_cpulist(root, "fs/cgroup/cpuset.cpus.effective", in_cpuset) ||
                     read_cpulist(root, "fs/cgroup/cpuset/cpuset.effective_cpus", in_cpuset);
  snprintf(t->allowed_from, sizeof t->allowed_from, "%s",
           have_cpuset ? "affinity and cgroup cpuset" : "affinity");
  memset(member, 0, EP_MAX_CPUS * sizeof *member);
  for (int i = 0; i < n_allowed; i++) {
    if (given[i] >= 0 && given[i] < EP_MAX_CPUS) member[given[i]] = true;
  }
  for (int i = 0; i < t->n_cpus; i++) {
    ep_topology_cpu* cpu = &t->cpus[i];
    cpu->allowed = member[cpu->id] && (!have_cpuset || in_cpuset[cpu->id]);
    if (cpu->allowed) t->allowed[t->n_allowed++] = cpu->id;
  }
  if (t->n_allowed == 0) {
    char list[256];
    status = ep_error(EP_ERR_INVALID_ARGUMENT,
                      "none of the CPUs this process may use (%s) is online%s under %s",
                      ep_cpulist_format(given, n_allowed, list, sizeof list),
                      have_cpuset ? " and in the cgroup's cpuset" : "", root);
    goto cleanup;
  }

  /* Per CPU: capacity, maximum frequency, SMT siblings, Arm core type. */
  t->threads_per_core = 1;
  read_cpuinfo_midr(root, midr);
  for (int i = 0; i < t->n_cpus; i++) {
    ep_topology_cpu* cpu = &t->cpus[i];
    char rel[128], text[64];
    snprintf(rel, sizeof rel, "devices/system/cpu/cpu%d/regs/identification/midr_el1", cpu->id);
    if (read_text(root, rel, text, sizeof text)) {
      cpu->midr = (uint32_t)strtoull(text, NULL, 16);
    } else {
      cpu->midr = midr[cpu->id];
    }
    name_core(cpu);
    snprintf(rel, sizeof rel, "devices/system/cpu/cpu%d/cpu_capacity", cpu->id);
    cpu->capacity = (int)read_int(root, rel);
    snprintf(rel, sizeof rel, "devices/system/cpu/cpu%d/cpufreq/cpuinfo_max_freq", cpu->id);
    cpu->max_freq_khz = read_int(root, rel);
    snprintf(rel, sizeof rel, "devices/system/cpu/cpu%d/topology/core_cpus_list", cpu->id);
    bool have = read_cpulist(root, rel, member);
    if (!have) {
      snprintf(rel, sizeof rel, "devices/system/cpu/cpu%d/topology/thread_siblings_list",
               cpu->id);
      have = read_cpulist(root, rel, member);
    }
    if (have && member[cpu->id]) {
      int siblings = 0;
      for (int c = 0; c < EP_MAX_CPUS; c++) {
        if (!member[c]) continue;
        if (siblings++ == 0) cpu->core = c;
      }
      if (siblings > t->threads_per_core) t->threads_per_core = siblings;
    }
  }

  /* Performance groups: Intel's PMU lists, else capacities, else maximum frequencies. */
  bool hybrid = false;
  bool* atom = in_cpuset; /* reused: the cpuset map is no longer needed */
  if (read_cpulist(root, "devices/cpu_core/cpus", member) &&
      read_cpulist(root, "devices/cpu_atom/cpus", atom)) {
    bool any_core = false, any_atom = false;
    for (int i = 0; i < t->n_cpus; i++) {
      any_core |= member[t->cpus[i].id];
      any_atom |= atom[t->cpus[i].id];
    }
    if (any_core && any_atom) {
      hybrid = true;
      for (int i = 0; i < t->n_cpus; i++) {
        ep_topology_cpu* cpu = &t->cpus[i];
        cpu->cluster = member[cpu->id] ? 0 : 1;
        if (cpu->core_name[0] == '\0') {
          snprintf(cpu->core_name, sizeof cpu->core_name, "%s", cpu->cluster == 0 ? "P-core"
                                                                                   : "E-core");
        }
      }
      t->n_clusters = 2;
      snprintf(t->kind, sizeof t->kind, "Intel hybrid");
      snprintf(t->source, sizeof t->source, "cpu_core/cpu_atom");
    }
  }
  if (!hybrid) {
    for (int i = 0; i < t->n_cpus; i++) value[i] = t->cpus[i].capacity;
    t->n_clusters = group_by(t, value, CAPACITY_TOLERANCE);
    if (t->n_clusters > 1) {
      snprintf(t->source, sizeof t->source, "cpu_capacity");
    } else if ((t->n_clusters = group_by_core_type(t)) > 1) {
      snprintf(t->source, sizeof t->source, "MIDR core types");
    } else {
      for (int i = 0; i < t->n_cpus; i++) value[i] = t->cpus[i].max_freq_khz;
      t->n_clusters = group_by(t, value, FREQUENCY_TOLERANCE);
      if (t->n_clusters > 1) snprintf(t->source, sizeof t->source, "cpuinfo_max_freq");
    }
    if (t->n_clusters <= 1) {
      t->n_clusters = 1;
      for (int i = 0; i < t->n_cpus; i++) t->cpus[i].cluster = 0;
      snprintf(t->kind, sizeof t->kind, "homogeneous");
    } else if (t->n_clusters == 2) {
      snprintf(t->kind, sizeof t->kind, "big.LITTLE");
    } else {
      snprintf(t->kind, sizeof t->kind, "%d clusters", t->n_clusters);
    }
  }
  add_sets(t, hybrid);

cleanup:
  free(online);
  free(in_cpuset);
  free(member);
  free(value);
  free(given);
  free(midr);
  if (status != EP_OK) {
    free(t);
    return status;
  }
  *topology_out = t;
  return EP_OK;
}

void ep_topology_destroy(ep_topology* topology) { free(topology); }

const ep_core_set* ep_topology_find(const ep_topology* t, const char* name) {
  for (int i = 0; t != NULL && name != NULL && i < t->n_sets; i++) {
    if (strcmp(t->sets[i].name, name) == 0) return &t->sets[i];
  }
  return NULL;
}

static bool valid_name(const char* name, size_t len) {
  if (len == 0 || len >= EP_CORE_SET_NAME_MAX || !islower((unsigned char)name[0])) return false;
  for (size_t i = 0; i < len; i++) {
    unsigned char ch = (unsigned char)name[i];
    if (!islower(ch) && !isdigit(ch) && ch != '_' && ch != '-') return false;
  }
  return true;
}

ep_status ep_topology_define_set(ep_topology* t, const char* spec) {
  if (t == NULL || spec == NULL) return ep_error(EP_ERR_INVALID_ARGUMENT, "no core set given");
  const char* eq = strchr(spec, '=');
  if (eq == NULL) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "core set '%s': expected NAME=CPULIST (fast=4-7)",
                    spec);
  }
  size_t len = (size_t)(eq - spec);
  if (!valid_name(spec, len)) {
    return ep_error(EP_ERR_INVALID_ARGUMENT,
                    "core set '%s': the name must be 1 to %d characters of a-z, 0-9, _ and -, "
                    "starting with a letter", spec, EP_CORE_SET_NAME_MAX - 1);
  }
  char name[EP_CORE_SET_NAME_MAX];
  memcpy(name, spec, len);
  name[len] = '\0';
  static _Thread_local int ids[EP_MAX_CPUS];
  int n = 0;
  if (ep_cpulist_parse(eq + 1, ids, EP_MAX_CPUS, &n) != EP_OK) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "core set '%s': %s", name, ep_last_error());
  }
  for (int i = 0; i < n; i++) {
    bool ok = false;
    for (int k = 0; k < t->n_allowed && !ok; k++) ok = t->allowed[k] == ids[i];
    if (!ok) {
      char list[256];
      return ep_error(EP_ERR_INVALID_ARGUMENT,
                      "core set '%s': CPU %d is not available to this process (allowed: %s)",
                      name, ids[i], ep_cpulist_format(t->allowed, t->n_allowed, list, sizeof list));
    }
  }
  ep_core_set* s = (ep_core_set*)ep_topology_find(t, name);
  if (s == NULL) {
    s = new_set(t, name);
    if (s == NULL) {
      return ep_error(EP_ERR_INVALID_ARGUMENT, "core set '%s': at most %d sets", name,
                      EP_TOPOLOGY_MAX_SETS);
    }
  }
  memcpy(s->cpus, ids, (size_t)n * sizeof *ids);
  s->n_cpus = n;
  s->user_defined = true;
  char list[96];
  snprintf(s->description, sizeof s->description, "given: CPUs %s",
           ep_cpulist_format(ids, n, list, sizeof list));
  order_fastest_first(t, s->cpus, n);
  return EP_OK;
}

ep_status ep_topology_format(const ep_topology* t, FILE* out) {
  char list[512];
  fprintf(out, "CPU topology (%s): %s%s%s, %d CPU%s online", t->root, t->kind,
          t->source[0] ? " from " : "", t->source, t->n_cpus, t->n_cpus == 1 ? "" : "s");
  if (t->threads_per_core > 1) fprintf(out, ", SMT %d threads per core", t->threads_per_core);
  fprintf(out, "\nAllowed CPUs (%s): %s\n", t->allowed_from,
          ep_cpulist_format(t->allowed, t->n_allowed, list, sizeof list));
  if (t->n_clusters > 1 || t->cpus[0].capacity > 0 || t->cpus[0].max_freq_khz > 0 ||
      t->cpus[0].core_name[0] != '\0') {
    fprintf(out, "Clusters (fastest first):\n");
    for (int c = 0; c < t->n_clusters; c++) {
      int ids[EP_MAX_CPUS], n = 0;
      for (int i = 0; i < t->n_cpus; i++) {
        if (t->cpus[i].cluster == c) ids[n++] = t->cpus[i].id;
      }
      char figures[160];
      cluster_figures(t, c, figures, sizeof figures);
      fprintf(out, "  %d: CPUs %s%s\n", c, ep_cpulist_format(ids, n, list, sizeof list),
              figures);
    }
  }
  fprintf(out, "Core sets:\n");
  for (int i = 0; i < t->n_sets; i++) {
    const ep_core_set* s = &t->sets[i];
    fprintf(out, "  %-10s %-16s %s\n", s->name, ep_cpulist_format(s->cpus, s->n_cpus, list,
                                                                  sizeof list),
            s->description);
  }
  for (int i = 0; i < t->n_notes; i++) fprintf(out, "Note: %s\n", t->notes[i]);
  if (ferror(out)) return ep_error(EP_ERR_IO, "cannot write the CPU topology");
  return EP_OK;
}
