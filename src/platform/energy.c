/* Energy meters: RAPL counters, Jetson INA3221 rails, a battery's fuel gauge (see
 * edgeprof/energy.h). */
#define _GNU_SOURCE
#include "edgeprof/energy.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "edgeprof/platform.h"

#define MAX_ZONES 8
#define PATH_MAX_LEN 640

typedef enum kind { KIND_RAPL, KIND_INA3221, KIND_BATTERY } kind;

typedef struct zone {
  char energy[PATH_MAX_LEN]; /* energy_uj */
  uint64_t max_range_uj;     /* max_energy_range_uj; 0: unknown (no wrap handling) */
  uint64_t last_uj;
} zone;

struct ep_energy_meter {
  kind kind;
  char description[160];
  char note[320];
  ep_energy_options options;
  /* RAPL: the package zones. */
  int n_zones;
  zone zones[MAX_ZONES];
  /* Power meters: how to read watts. INA3221 iio: power[0] in mW. hwmon: volts[0] (mV) x
   * power[0] used as current (mA). Battery: power[0] in uW, or current (uA) x volts (uV). */
  int n_rails;
  char power[MAX_ZONES][PATH_MAX_LEN];
  char volts[MAX_ZONES][PATH_MAX_LEN];
  bool hwmon;
  /* Running state. */
  bool started;
  pthread_t thread;
  bool have_thread;
  atomic_bool stop;
  pthread_mutex_t lock; /* readings from the thread and the caller */
  double t_start, t_last, p_last;
  double joules;
  int samples, wraps;
  bool failed;
};

static double clock_now(const ep_energy_meter* m) {
  return m->options.now != NULL ? m->options.now(m->options.user) : ep_now();
}

/* A small sysfs file as text, trailing whitespace removed. 0, or errno. */
static int read_text(const char* path, char* buf, size_t size) {
  FILE* f = fopen(path, "r");
  if (f == NULL) return errno != 0 ? errno : EIO;
  size_t n = fread(buf, 1, size - 1, f);
  int err = ferror(f) ? (errno != 0 ? errno : EIO) : 0;
  fclose(f);
  buf[n] = '\0';
  while (n > 0 && isspace((unsigned char)buf[n - 1])) buf[--n] = '\0';
  if (err == 0 && n == 0) err = ENODATA;
  return err;
}

static bool read_number(const char* path, double* out) {
  char buf[64];
  if (read_text(path, buf, sizeof buf) != 0) return false;
  char* end;
  errno = 0;
  double v = strtod(buf, &end);
  if (end == buf || *end != '\0' || errno != 0 || !isfinite(v)) return false;
  *out = v;
  return true;
}

static bool read_u64(const char* path, uint64_t* out) {
  char buf[64];
  if (read_text(path, buf, sizeof buf) != 0) return false;
  char* end;
  errno = 0;
  unsigned long long v = strtoull(buf, &end, 10);
  if (end == buf || *end != '\0' || errno != 0 || buf[0] == '-') return false;
  *out = (uint64_t)v;
  return true;
}

/* snprintf for paths and messages whose truncation is harmless (a path too long for its buffer
 * names no file; a message is cut short). */
static void textf(char* buf, size_t size, const char* format, ...)
    __attribute__((format(printf, 3, 4)));
static void textf(char* buf, size_t size, const char* format, ...) {
  va_list args;
  va_start(args, format);
  vsnprintf(buf, size, format, args);
  va_end(args);
}

static void append(char* buf, size_t size, const char* format, ...)
    __attribute__((format(printf, 3, 4)));
static void append(char* buf, size_t size, const char* format, ...) {
  size_t len = strlen(buf);
  if (len + 1 >= size) return;
  va_list args;
  va_start(args, format);
  vsnprintf(buf + len, size - len, format, args);
  va_end(args);
}

/* Sorted entries of a folder whose names start with `prefix` (at most max). */
static int list_dir(const char* path, const char* prefix, char names[][64], int max) {
  DIR* d = opendir(path);
  if (d == NULL) return 0;
  int n = 0;
  for (struct dirent* e; (e = readdir(d)) != NULL && n < max;) {
    if (e->d_name[0] == '.' || strncmp(e->d_name, prefix, strlen(prefix)) != 0) continue;
    if (strlen(e->d_name) >= 64) continue;
    textf(names[n++], 64, "%s", e->d_name);
  }
  closedir(d);
  for (int i = 1; i < n; i++) { /* insertion sort: a handful of names */
    char key[64];
    memcpy(key, names[i], sizeof key);
    int j = i;
    for (; j > 0 && strcmp(names[j - 1], key) > 0; j--) memcpy(names[j], names[j - 1], 64);
    memcpy(names[j], key, sizeof key);
  }
  return n;
}

/* --- RAPL ---------------------------------------------------------------------------------- */

static bool find_rapl(const char* root, ep_energy_meter* m, char* why, size_t why_size) {
  char dir[PATH_MAX_LEN], path[PATH_MAX_LEN + 64], names[32][64];
  textf(dir, sizeof dir, "%s/class/powercap", root);
  int n = list_dir(dir, "intel-rapl:", names, 32);
  char found[160] = "", denied[160] = "";
  int first_errno = 0;
  for (int i = 0; i < n; i++) {
    if (strchr(names[i] + strlen("intel-rapl:"), ':') != NULL) continue; /* subzones */
    char name[64];
    textf(path, sizeof path, "%s/%s/name", dir, names[i]);
    if (read_text(path, name, sizeof name) != 0 || strncmp(name, "package-", 8) != 0) continue;
    textf(path, sizeof path, "%s/%s/energy_uj", dir, names[i]);
    uint64_t value = 0;
    char text[64];
    int err = read_text(path, text, sizeof text);
    if (err != 0 || !read_u64(path, &value)) {
      append(denied, sizeof denied, "%s%s", denied[0] ? ", " : "", name);
      if (first_errno == 0) first_errno = err != 0 ? err : EINVAL;
      continue;
    }
    if (m->n_zones == MAX_ZONES) break;
    zone* z = &m->zones[m->n_zones++];
    textf(z->energy, sizeof z->energy, "%s", path);
    textf(path, sizeof path, "%s/%s/max_energy_range_uj", dir, names[i]);
    if (!read_u64(path, &z->max_range_uj)) z->max_range_uj = 0;
    append(found, sizeof found, "%s%s", found[0] ? " + " : "", name);
  }
  if (m->n_zones > 0) {
    m->kind = KIND_RAPL;
    textf(m->description, sizeof m->description, "RAPL %s (CPU package)", found);
    return true;
  }
  if (denied[0] != '\0') {
    if (first_errno == EACCES || first_errno == EPERM) {
      textf(why, why_size,
            "RAPL %s is there but energy_uj is readable by root only (Linux >= 5.10): run as "
            "root or `sudo chmod o+r %s/class/powercap/intel-rapl:*/energy_uj`",
            denied, root);
    } else {
      textf(why, why_size, "RAPL %s: energy_uj cannot be read (%s)", denied, strerror(first_errno));
    }
  } else {
    textf(why, why_size, "no RAPL package zone under %s/class/powercap", root);
  }
  return false;
}

/* --- INA3221 ------------------------------------------------------------------------------- */

/* A rail whose name ends in "_IN" is the board's input: VDD_IN (TX2, Orin), POM_5V_IN (Nano,
 * Xavier). */
static bool input_rail(const char* name) {
  size_t len = strlen(name);
  return len >= 3 && strcmp(name + len - 3, "_IN") == 0;
}

typedef struct rail {
  char name[64];
  char power[PATH_MAX_LEN]; /* mW (iio) or mA (hwmon) */
  char volts[PATH_MAX_LEN]; /* mV (hwmon) */
} rail;

static int iio_rails(const char* root, rail* rails, int max) {
  char base[PATH_MAX_LEN], dev_dir[PATH_MAX_LEN + 64], iio_dir[PATH_MAX_LEN + 128];
  char path[PATH_MAX_LEN + 192], devs[16][64], iios[8][64];
  textf(base, sizeof base, "%s/bus/i2c/drivers/ina3221x", root);
  int n = 0;
  int n_devs = list_dir(base, "", devs, 16);
  for (int d = 0; d < n_devs; d++) {
    textf(dev_dir, sizeof dev_dir, "%s/%s", base, devs[d]);
    int n_iio = list_dir(dev_dir, "iio:device", iios, 8);
    for (int k = 0; k < n_iio; k++) {
      textf(iio_dir, sizeof iio_dir, "%s/%s", dev_dir, iios[k]);
      for (int ch = 0; ch < 8 && n < max; ch++) {
        rail* r = &rails[n];
        textf(path, sizeof path, "%s/rail_name_%d", iio_dir, ch);
        if (read_text(path, r->name, sizeof r->name) != 0) continue;
        textf(r->power, sizeof r->power, "%s/in_power%d_input", iio_dir, ch);
        double v;
        if (!read_number(r->power, &v)) continue;
        r->volts[0] = '\0';
        n++;
      }
    }
  }
  return n;
}

static int hwmon_rails(const char* root, rail* rails, int max) {
  char base[PATH_MAX_LEN], dir[PATH_MAX_LEN + 64], hw_dir[PATH_MAX_LEN + 128];
  char path[PATH_MAX_LEN + 192], devs[16][64], hws[8][64];
  textf(base, sizeof base, "%s/bus/i2c/drivers/ina3221", root);
  int n = 0;
  int n_devs = list_dir(base, "", devs, 16);
  for (int d = 0; d < n_devs; d++) {
    textf(dir, sizeof dir, "%s/%s/hwmon", base, devs[d]);
    int n_hw = list_dir(dir, "hwmon", hws, 8);
    for (int k = 0; k < n_hw; k++) {
      textf(hw_dir, sizeof hw_dir, "%s/%s", dir, hws[k]);
      for (int ch = 1; ch <= 8 && n < max; ch++) {
        rail* r = &rails[n];
        textf(path, sizeof path, "%s/in%d_label", hw_dir, ch);
        if (read_text(path, r->name, sizeof r->name) != 0) continue;
        textf(r->power, sizeof r->power, "%s/curr%d_input", hw_dir, ch);
        textf(r->volts, sizeof r->volts, "%s/in%d_input", hw_dir, ch);
        double v;
        if (!read_number(r->power, &v) || !read_number(r->volts, &v)) continue;
        n++;
      }
    }
  }
  return n;
}

static bool find_ina3221(const char* root, ep_energy_meter* m, char* why, size_t why_size) {
  rail rails[MAX_ZONES];
  bool hwmon = false;
  int n = iio_rails(root, rails, MAX_ZONES);
  if (n == 0) {
    n = hwmon_rails(root, rails, MAX_ZONES);
    hwmon = n > 0;
  }
  if (n == 0) {
    textf(why, why_size, "no INA3221 power rails (Jetson)");
    return false;
  }
  m->kind = KIND_INA3221;
  m->hwmon = hwmon;
  for (int i = 0; i < n; i++) {
    if (!input_rail(rails[i].name)) continue;
    m->n_rails = 1;
    textf(m->power[0], sizeof m->power[0], "%s", rails[i].power);
    textf(m->volts[0], sizeof m->volts[0], "%s", rails[i].volts);
    textf(m->description, sizeof m->description, "INA3221 rail %s (board input)", rails[i].name);
    return true;
  }
  m->n_rails = n;
  textf(m->description, sizeof m->description, "INA3221 rails ");
  for (int i = 0; i < n; i++) {
    textf(m->power[i], sizeof m->power[i], "%s", rails[i].power);
    textf(m->volts[i], sizeof m->volts[i], "%s", rails[i].volts);
    append(m->description, sizeof m->description, "%s%s", i ? " + " : "", rails[i].name);
  }
  return true;
}

/* --- battery ------------------------------------------------------------------------------- */

static bool find_battery(const char* root, ep_energy_meter* m, char* why, size_t why_size) {
  char base[PATH_MAX_LEN], dir[PATH_MAX_LEN + 64], path[PATH_MAX_LEN + 128], names[16][64];
  textf(base, sizeof base, "%s/class/power_supply", root);
  int n = list_dir(base, "", names, 16);
  textf(why, why_size, "no battery");
  for (int i = 0; i < n; i++) {
    char text[64];
    textf(dir, sizeof dir, "%s/%s", base, names[i]);
    textf(path, sizeof path, "%s/type", dir);
    if (read_text(path, text, sizeof text) != 0 || strcmp(text, "Battery") != 0) continue;
    textf(path, sizeof path, "%s/status", dir);
    if (read_text(path, text, sizeof text) != 0) textf(text, sizeof text, "unknown");
    if (strcmp(text, "Discharging") != 0) {
      textf(why, why_size,
            "battery %s is %s, not Discharging: its gauge measures the charger, unplug it",
            names[i], text);
      continue;
    }
    double v;
    textf(m->power[0], sizeof m->power[0], "%s/power_now", dir);
    if (read_number(m->power[0], &v)) {
      m->volts[0][0] = '\0';
      textf(m->description, sizeof m->description, "battery fuel gauge (%s, power_now)", names[i]);
    } else {
      textf(m->power[0], sizeof m->power[0], "%s/current_now", dir);
      textf(m->volts[0], sizeof m->volts[0], "%s/voltage_now", dir);
      if (!read_number(m->power[0], &v) || !read_number(m->volts[0], &v)) {
        textf(why, why_size, "battery %s has neither power_now nor current_now and voltage_now",
              names[i]);
        continue;
      }
      textf(m->description, sizeof m->description,
            "battery fuel gauge (%s, current_now x voltage_now)", names[i]);
    }
    m->kind = KIND_BATTERY;
    m->n_rails = 1;
    return true;
  }
  return false;
}

/* --- the meter ----------------------------------------------------------------------------- */

ep_status ep_energy_meter_detect(const char* sysfs_root, const ep_energy_options* options,
                                 ep_energy_meter** meter_out) {
  if (meter_out == NULL) return ep_error(EP_ERR_INVALID_ARGUMENT, "ep_energy_meter_detect: NULL");
  const char* root = sysfs_root != NULL && sysfs_root[0] != '\0' ? sysfs_root : "/sys";
  ep_energy_meter* m = calloc(1, sizeof *m);
  if (m == NULL) return ep_error(EP_ERR_OUT_OF_MEMORY, "no memory for an energy meter");
  if (options != NULL) m->options = *options;
  if (!(m->options.power_period_s > 0)) m->options.power_period_s = 0.01;
  if (!(m->options.counter_period_s > 0)) m->options.counter_period_s = 1.0;
  pthread_mutex_init(&m->lock, NULL);
  atomic_init(&m->stop, false);
  char rapl_why[320], ina_why[160], battery_why[200];
  bool found = find_rapl(root, m, rapl_why, sizeof rapl_why) ||
               find_ina3221(root, m, ina_why, sizeof ina_why) ||
               find_battery(root, m, battery_why, sizeof battery_why);
  if (!found) {
    ep_energy_meter_destroy(m);
    return ep_error(EP_ERR_NOT_FOUND, "%s; %s; %s", rapl_why, ina_why, battery_why);
  }
  if (m->kind != KIND_RAPL && strstr(rapl_why, "root only") != NULL) {
    textf(m->note, sizeof m->note, "%s", rapl_why);
  }
  *meter_out = m;
  return EP_OK;
}

void ep_energy_meter_destroy(ep_energy_meter* m) {
  if (m == NULL) return;
  if (m->started) {
    ep_energy_reading ignored;
    ep_energy_meter_stop(m, &ignored);
  }
  pthread_mutex_destroy(&m->lock);
  free(m);
}

const char* ep_energy_meter_name(const ep_energy_meter* m) {
  if (m == NULL) return "none";
  return m->kind == KIND_RAPL ? "rapl" : m->kind == KIND_INA3221 ? "ina3221" : "battery";
}

const char* ep_energy_meter_description(const ep_energy_meter* m) {
  return m != NULL ? m->description : "";
}

const char* ep_energy_meter_scope(const ep_energy_meter* m) {
  if (m == NULL) return "";
  return m->kind == KIND_RAPL ? "cpu package" : m->kind == KIND_INA3221 ? "board" : "device";
}

const char* ep_energy_meter_note(const ep_energy_meter* m) { return m != NULL ? m->note : ""; }

double ep_energy_meter_min_seconds(const ep_energy_meter* m) {
  if (m == NULL) return 0.0;
  return m->kind == KIND_RAPL ? 0.01 : m->kind == KIND_INA3221 ? 0.1 : 10.0;
}

/* Watts now from a power meter; false when unreadable. */
static bool read_watts(const ep_energy_meter* m, double* watts) {
  double total = 0.0;
  for (int i = 0; i < m->n_rails; i++) {
    double a, v;
    if (!read_number(m->power[i], &a)) return false;
    if (m->kind == KIND_INA3221) {
      if (m->hwmon) {
        if (!read_number(m->volts[i], &v)) return false;
        total += a * v * 1e-6; /* mA x mV */
      } else {
        total += a * 1e-3; /* mW */
      }
    } else if (m->volts[i][0] == '\0') {
      total += fabs(a) * 1e-6; /* power_now, uW */
    } else {
      if (!read_number(m->volts[i], &v)) return false;
      total += fabs(a) * fabs(v) * 1e-12; /* uA x uV; the sign of current_now varies by gauge */
    }
  }
  *watts = total;
  return true;
}

/* One reading; with `first`, the reference the next readings count from. Caller holds lock. */
static bool take_reading(ep_energy_meter* m, bool first) {
  double t = clock_now(m);
  if (m->kind == KIND_RAPL) {
    for (int i = 0; i < m->n_zones; i++) {
      zone* z = &m->zones[i];
      uint64_t now_uj;
      if (!read_u64(z->energy, &now_uj)) return false;
      if (!first) {
        uint64_t delta;
        if (now_uj >= z->last_uj) {
          delta = now_uj - z->last_uj;
        } else if (z->max_range_uj > 0) { /* wrapped past max_energy_range_uj to 0 */
          delta = z->max_range_uj - z->last_uj + now_uj;
          m->wraps++;
        } else {
          delta = 0;
        }
        m->joules += (double)delta * 1e-6;
      }
      z->last_uj = now_uj;
    }
  } else {
    double watts;
    if (!read_watts(m, &watts)) return false;
    if (!first) m->joules += 0.5 * (watts + m->p_last) * (t - m->t_last);
    m->p_last = watts;
  }
  if (first) m->t_start = t;
  m->t_last = t;
  m->samples++;
  return true;
}

static void* sampler(void* arg) {
  ep_energy_meter* m = arg;
  double period = m->kind == KIND_RAPL ? m->options.counter_period_s : m->options.power_period_s;
  const double tick = 0.01; /* stop is noticed within 10 ms even with a long period */
  double waited = 0.0;
  while (!atomic_load(&m->stop)) {
    double step = period - waited < tick ? period - waited : tick;
    struct timespec ts = {(time_t)step, (long)((step - (double)(time_t)step) * 1e9)};
    nanosleep(&ts, NULL);
    waited += step;
    if (waited + 1e-9 < period) continue;
    waited = 0.0;
    pthread_mutex_lock(&m->lock);
    if (!take_reading(m, false)) m->failed = true;
    pthread_mutex_unlock(&m->lock);
  }
  return NULL;
}

ep_status ep_energy_meter_start(ep_energy_meter* m) {
  if (m == NULL || m->started) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "energy meter: NULL or already started");
  }
  m->joules = 0.0;
  m->samples = 0;
  m->wraps = 0;
  m->failed = false;
  if (!take_reading(m, true)) {
    return ep_error(EP_ERR_IO, "energy meter %s: cannot be read", m->description);
  }
  m->started = true;
  atomic_store(&m->stop, false);
  m->have_thread = false;
  if (!m->options.manual) {
    m->have_thread = pthread_create(&m->thread, NULL, sampler, m) == 0;
    if (!m->have_thread && m->kind != KIND_RAPL) {
      m->started = false;
      return ep_error(EP_ERR_IO, "energy meter: cannot start the sampling thread");
    }
  }
  return EP_OK;
}

ep_status ep_energy_meter_sample(ep_energy_meter* m) {
  if (m == NULL || !m->started) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "energy meter: not started");
  }
  pthread_mutex_lock(&m->lock);
  bool ok = take_reading(m, false);
  if (!ok) m->failed = true;
  pthread_mutex_unlock(&m->lock);
  return ok ? EP_OK : ep_error(EP_ERR_IO, "energy meter %s: cannot be read", m->description);
}

ep_status ep_energy_meter_stop(ep_energy_meter* m, ep_energy_reading* reading_out) {
  if (m == NULL || !m->started || reading_out == NULL) {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "energy meter: not started");
  }
  if (m->have_thread) {
    atomic_store(&m->stop, true);
    pthread_join(m->thread, NULL);
    m->have_thread = false;
  }
  m->started = false;
  if (!take_reading(m, false)) m->failed = true;
  if (m->failed) {
    return ep_error(EP_ERR_IO, "energy meter %s: a reading failed while measuring", m->description);
  }
  ep_energy_reading r = {0};
  r.joules = m->joules;
  r.seconds = m->t_last - m->t_start;
  r.mean_power_w = r.seconds > 0.0 ? r.joules / r.seconds : 0.0;
  r.samples = m->samples;
  r.wraps = m->wraps;
  *reading_out = r;
  return EP_OK;
}

void ep_energy_result_fill(const ep_energy_meter* m, const ep_energy_reading* r, int inferences,
                           ep_energy_result* out) {
  memset(out, 0, sizeof *out);
  textf(out->meter, sizeof out->meter, "%s", ep_energy_meter_name(m));
  textf(out->description, sizeof out->description, "%s", ep_energy_meter_description(m));
  textf(out->scope, sizeof out->scope, "%s", ep_energy_meter_scope(m));
  out->joules = r->joules;
  out->seconds = r->seconds;
  out->mean_power_w = r->mean_power_w;
  out->inferences = inferences;
  out->joules_per_inference = inferences > 0 ? r->joules / inferences : 0.0;
  out->short_window = r->seconds < ep_energy_meter_min_seconds(m);
}
