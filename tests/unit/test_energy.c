/* Energy meters on copies of the board fixtures (tests/fixtures) with synthetic readings: RAPL on
 * the Alder Lake laptop (a counter that wraps; root-only energy_uj), the Jetson TX2's INA3221
 * rails (and the newer hwmon layout), a phone's battery (discharging, and charging: refused),
 * boards without a meter; and the measured power plan reads from a profile. A fake clock and manual
 * sampling keep the tests from sleeping, except one short run of the real sampling thread. */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "edgeprof/energy.h"
#include "edgeprof/plan.h"
#include "test_support.h"

static char base[256];
static int copies;
static double fake_time;

static double fake_now(void* user) {
  (void)user;
  return fake_time;
}


/* A fresh copy of a board's tree; root receives its sys folder. */
static bool copy_board(const char* board, char* root, size_t size) {
  char dest[400], cmd[2048];
  snprintf(dest, sizeof dest, "%s/copy%d", base, copies++);
  snprintf(cmd, sizeof cmd, "cp -r '%s/%s' '%s'", ep_test_fixtures_dir(), board, dest);
  if (system(cmd) != 0) {
    fprintf(stderr, "cannot copy the fixture %s\n", board);
    ep_test_failed++;
    return false;
  }
  snprintf(root, size, "%s/sys", dest);
  return true;
}

static void write_file(const char* root, const char* rel, const char* text) {
  char path[1400];
  snprintf(path, sizeof path, "%s/%s", root, rel);
  FILE* f = fopen(path, "w");
  if (f == NULL) {
    fprintf(stderr, "cannot write %s: %s\n", path, strerror(errno));
    ep_test_failed++;
    return;
  }
  fprintf(f, "%s\n", text);
  fclose(f);
}

static void make_dirs(const char* path) {
  char buf[1300];
  snprintf(buf, sizeof buf, "%s", path);
  for (char* p = buf + 1; *p; p++) {
    if (*p != '/') continue;
    *p = '\0';
    mkdir(buf, 0755);
    *p = '/';
  }
  mkdir(buf, 0755);
}

static ep_energy_meter* detect_manual(const char* root) {
  ep_energy_options options = {fake_now, NULL, 0, 0, true};
  ep_energy_meter* m = NULL;
  EP_CHECK_MSG(ep_energy_meter_detect(root, &options, &m) == EP_OK, "%s: %s", root,
               ep_last_error());
  return m;
}

static bool near(double a, double b) { return fabs(a - b) <= 1e-9 * fmax(1.0, fabs(b)); }

static void test_rapl(void) {
  char root[512];
  if (!copy_board("laptop-i7-1260p", root, sizeof root)) return;
  ep_energy_meter* m = detect_manual(root);
  if (m == NULL) return;
  EP_CHECK(strcmp(ep_energy_meter_name(m), "rapl") == 0);
  EP_CHECK_MSG(strcmp(ep_energy_meter_description(m), "RAPL package-0 (CPU package)") == 0,
               "got '%s'", ep_energy_meter_description(m));
  EP_CHECK(strcmp(ep_energy_meter_scope(m), "cpu package") == 0);
  /* 5 J over 2 s; the psys and core zones are not counted. */
  fake_time = 100.0;
  EP_CHECK_OK(ep_energy_meter_start(m));
  write_file(root, "class/powercap/intel-rapl:0/energy_uj", "30164237447");
  write_file(root, "class/powercap/intel-rapl:1/energy_uj", "99999999999");
  fake_time = 102.0;
  ep_energy_reading r;
  EP_CHECK_OK(ep_energy_meter_stop(m, &r));
  EP_CHECK_MSG(near(r.joules, 5.0) && near(r.seconds, 2.0) && near(r.mean_power_w, 2.5) &&
                   r.wraps == 0 && r.samples == 2,
               "got %g J, %g s, %g W, %d wraps, %d samples", r.joules, r.seconds, r.mean_power_w,
               r.wraps, r.samples);
  /* A counter that wraps at max_energy_range_uj: 1 J before the wrap, 2 J after, plus 0.5 J
   * read in between. */
  write_file(root, "class/powercap/intel-rapl:0/energy_uj", "262142328850");
  fake_time = 200.0;
  EP_CHECK_OK(ep_energy_meter_start(m));
  write_file(root, "class/powercap/intel-rapl:0/energy_uj", "262142828850");
  fake_time = 200.5;
  EP_CHECK_OK(ep_energy_meter_sample(m));
  write_file(root, "class/powercap/intel-rapl:0/energy_uj", "2000000");
  fake_time = 201.0;
  EP_CHECK_OK(ep_energy_meter_stop(m, &r));
  EP_CHECK_MSG(near(r.joules, 3.0) && r.wraps == 1 && r.samples == 3 && near(r.mean_power_w, 3.0),
               "wrap: got %g J, %d wraps, %d samples", r.joules, r.wraps, r.samples);
  /* Misuse. */
  EP_CHECK(ep_energy_meter_stop(m, &r) == EP_ERR_INVALID_ARGUMENT);
  EP_CHECK(ep_energy_meter_sample(m) == EP_ERR_INVALID_ARGUMENT);
  EP_CHECK_OK(ep_energy_meter_start(m));
  EP_CHECK(ep_energy_meter_start(m) == EP_ERR_INVALID_ARGUMENT);
  /* A counter that disappears while measuring fails the measurement. */
  char path[1200];
  snprintf(path, sizeof path, "%s/class/powercap/intel-rapl:0/energy_uj", root);
  unlink(path);
  EP_CHECK(ep_energy_meter_stop(m, &r) == EP_ERR_IO);
  ep_energy_meter_destroy(m);
  ep_energy_meter_destroy(NULL);
}

/* energy_uj readable by root only (Linux >= 5.10): the laptop falls back to its battery and
 * says why; without the battery detection fails with the root-only line. Run as an unprivileged
 * user: as root, in a child that drops to nobody. */
static int rapl_root_only_check(const char* root, const char* battery) {
  ep_energy_meter* m = NULL;
  if (ep_energy_meter_detect(root, NULL, &m) != EP_OK) return 1;
  int rc = 0;
  if (strcmp(ep_energy_meter_name(m), "battery") != 0) rc = 2;
  if (strstr(ep_energy_meter_note(m), "readable by root only") == NULL) rc = 3;
  ep_energy_meter_destroy(m);
  if (rc != 0) return rc;
  char cmd[1400];
  snprintf(cmd, sizeof cmd, "%s/type", battery);
  FILE* f = fopen(cmd, "w");
  if (f == NULL) return 4;
  fputs("UPS\n", f);
  fclose(f);
  if (ep_energy_meter_detect(root, NULL, &m) != EP_ERR_NOT_FOUND) return 5;
  if (strstr(ep_last_error(), "RAPL package-0 is there but energy_uj is readable by root only") ==
      NULL) {
    return 6;
  }
  return 0;
}

static void test_rapl_root_only(void) {
  char root[512], path[1024], battery[1024];
  if (!copy_board("laptop-i7-1260p", root, sizeof root)) return;
  snprintf(path, sizeof path, "%s/class/powercap/intel-rapl:0/energy_uj", root);
  snprintf(battery, sizeof battery, "%s/class/power_supply/BAT0", root);
  chmod(path, 0400);
  if (geteuid() != 0) {
    int rc = rapl_root_only_check(root, battery);
    EP_CHECK_MSG(rc == 0, "root-only RAPL: check %d failed (%s)", rc, ep_last_error());
    return;
  }
  /* nobody must reach the tree, and write the battery's type. */
  chmod(base, 0777);
  char cmd[4096];
  snprintf(cmd, sizeof cmd, "chmod -R a+rwX '%s/..' && chmod 0400 '%s' && chmod 0666 '%s/type'",
           root, path, battery);
  if (system(cmd) != 0) {
    printf("SKIP (part): cannot open the tree to an unprivileged user\n");
    return;
  }
  pid_t pid = fork();
  if (pid == 0) {
    if (setgid(65534) != 0 || setuid(65534) != 0) _exit(77);
    _exit(rapl_root_only_check(root, battery));
  }
  int status = 0;
  waitpid(pid, &status, 0);
  int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 99;
  if (rc == 77) {
    printf("SKIP (part): cannot drop to an unprivileged user for the root-only RAPL case\n");
    return;
  }
  EP_CHECK_MSG(rc == 0, "root-only RAPL (as nobody): check %d failed", rc);
}

static void test_ina3221_tx2(void) {
  char root[512];
  if (!copy_board("jetson-tx2", root, sizeof root)) return;
  ep_energy_meter* m = detect_manual(root);
  if (m == NULL) return;
  EP_CHECK(strcmp(ep_energy_meter_name(m), "ina3221") == 0);
  EP_CHECK_MSG(strcmp(ep_energy_meter_description(m), "INA3221 rail VDD_IN (board input)") == 0,
               "got '%s'", ep_energy_meter_description(m));
  EP_CHECK(strcmp(ep_energy_meter_scope(m), "board") == 0);
  /* 1.912 W at t = 0, 5 W from t = 1 to t = 3: trapezoids. */
  const char* vdd_in = "bus/i2c/drivers/ina3221x/0-0041/iio:device1/in_power0_input";
  fake_time = 0.0;
  EP_CHECK_OK(ep_energy_meter_start(m));
  write_file(root, vdd_in, "5000");
  fake_time = 1.0;
  EP_CHECK_OK(ep_energy_meter_sample(m));
  fake_time = 3.0;
  ep_energy_reading r;
  EP_CHECK_OK(ep_energy_meter_stop(m, &r));
  double want = 0.5 * (1.912 + 5.0) * 1.0 + 5.0 * 2.0;
  EP_CHECK_MSG(near(r.joules, want) && near(r.seconds, 3.0) && near(r.mean_power_w, want / 3.0) &&
                   r.samples == 3,
               "got %g J (want %g), %g s, %d samples", r.joules, want, r.seconds, r.samples);
  ep_energy_meter_destroy(m);

  /* The real sampling thread, briefly: constant power, so joules = power x time. */
  write_file(root, vdd_in, "2500");
  ep_energy_options options = {NULL, NULL, 0.002, 0, false};
  EP_CHECK_OK(ep_energy_meter_detect(root, &options, &m));
  if (m == NULL) return;
  /* On a loaded machine the thread may not be scheduled often enough in 30 ms: give it longer
   * windows (30, 120, 480 ms) before calling it broken. */
  long window_ms = 30;
  for (int attempt = 0; attempt < 3; attempt++, window_ms *= 4) {
    EP_CHECK_OK(ep_energy_meter_start(m));
    struct timespec ts = {0, window_ms * 1000 * 1000};
    nanosleep(&ts, NULL);
    EP_CHECK_OK(ep_energy_meter_stop(m, &r));
    if (r.samples >= 4) break;
  }
  EP_CHECK_MSG(r.samples >= 4 && r.seconds >= 0.029 && near(r.mean_power_w, 2.5),
               "thread: %d samples, %g s, %g W", r.samples, r.seconds, r.mean_power_w);
  ep_energy_meter_destroy(m);
}

/* L4T R34 and later (Orin): hwmon, volts x amps, rails named by inN_label. */
static void test_ina3221_hwmon(void) {
  char root[512];
  snprintf(root, sizeof root, "%s/orin/sys", base);
  char dir[1200];
  snprintf(dir, sizeof dir, "%s/bus/i2c/drivers/ina3221/1-0040/hwmon/hwmon3", root);
  make_dirs(dir);
  const char* files[][2] = {{"in1_label", "VDD_IN"}, {"in1_input", "5072"},
                            {"curr1_input", "1180"}, {"in2_label", "VDD_CPU_GPU_CV"},
                            {"in2_input", "5064"},   {"curr2_input", "320"}};
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    char rel[128];
    snprintf(rel, sizeof rel, "bus/i2c/drivers/ina3221/1-0040/hwmon/hwmon3/%s", files[i][0]);
    write_file(root, rel, files[i][1]);
  }
  ep_energy_meter* m = detect_manual(root);
  if (m == NULL) return;
  EP_CHECK(strcmp(ep_energy_meter_description(m), "INA3221 rail VDD_IN (board input)") == 0);
  fake_time = 10.0;
  EP_CHECK_OK(ep_energy_meter_start(m));
  fake_time = 12.0;
  ep_energy_reading r;
  EP_CHECK_OK(ep_energy_meter_stop(m, &r));
  EP_CHECK_MSG(near(r.mean_power_w, 5.072 * 1.180) && near(r.joules, 2 * 5.072 * 1.180),
               "hwmon: got %g W", r.mean_power_w);
  ep_energy_meter_destroy(m);
}

static void test_battery(void) {
  char root[512];
  if (!copy_board("phone-sd835", root, sizeof root)) return;
  ep_energy_meter* m = detect_manual(root);
  if (m == NULL) return;
  EP_CHECK(strcmp(ep_energy_meter_name(m), "battery") == 0);
  EP_CHECK_MSG(strcmp(ep_energy_meter_description(m),
                      "battery fuel gauge (battery, current_now x voltage_now)") == 0,
               "got '%s'", ep_energy_meter_description(m));
  EP_CHECK(strcmp(ep_energy_meter_scope(m), "device") == 0);
  EP_CHECK(ep_energy_meter_min_seconds(m) >= 10.0);
  fake_time = 0.0;
  EP_CHECK_OK(ep_energy_meter_start(m));
  /* Gauges that count discharge as negative current read the same. */
  write_file(root, "class/power_supply/battery/current_now", "-600000");
  fake_time = 10.0;
  ep_energy_reading r;
  EP_CHECK_OK(ep_energy_meter_stop(m, &r));
  double p0 = 0.452 * 3.987, p1 = 0.6 * 3.987;
  EP_CHECK_MSG(near(r.joules, 0.5 * (p0 + p1) * 10.0), "battery: got %g J", r.joules);
  ep_energy_meter_destroy(m);

  /* power_now (uW), as laptops have it. */
  write_file(root, "class/power_supply/battery/power_now", "3000000");
  m = detect_manual(root);
  if (m == NULL) return;
  EP_CHECK(strstr(ep_energy_meter_description(m), "power_now") != NULL);
  fake_time = 0.0;
  EP_CHECK_OK(ep_energy_meter_start(m));
  fake_time = 4.0;
  EP_CHECK_OK(ep_energy_meter_stop(m, &r));
  EP_CHECK(near(r.joules, 12.0) && near(r.mean_power_w, 3.0));
  ep_energy_meter_destroy(m);
}

static void test_no_meter(void) {
  /* A charging phone: refused, and the line says why. */
  char root[512];
  if (!copy_board("phone-sd845", root, sizeof root)) return;
  ep_energy_meter* m = NULL;
  EP_CHECK(ep_energy_meter_detect(root, NULL, &m) == EP_ERR_NOT_FOUND && m == NULL);
  EP_CHECK_MSG(strstr(ep_last_error(), "battery battery is Charging, not Discharging") != NULL,
               "got '%s'", ep_last_error());
  /* Boards without any meter. */
  const char* boards[] = {"rk3399", "raspberry-pi4"};
  for (int i = 0; i < 2; i++) {
    if (!copy_board(boards[i], root, sizeof root)) return;
    EP_CHECK(ep_energy_meter_detect(root, NULL, &m) == EP_ERR_NOT_FOUND);
    const char* e = ep_last_error();
    EP_CHECK_MSG(strstr(e, "no RAPL package zone") != NULL &&
                     strstr(e, "no INA3221 power rails") != NULL && strstr(e, "no battery") != NULL,
                 "%s: got '%s'", boards[i], e);
  }
  /* A missing root. */
  snprintf(root, sizeof root, "%s/nothing/sys", base);
  EP_CHECK(ep_energy_meter_detect(root, NULL, &m) == EP_ERR_NOT_FOUND);
}

/* The power plan takes from an edge profile's "energy" object. */
static void test_plan_measured_power(void) {
  ep_plan_measured_power p;
  const char* with =
      "{\"model\": \"mlp\", \"energy\": {\"meter\": \"ina3221\", \"description\": "
      "\"INA3221 rail VDD_IN (board input)\", \"scope\": \"board\", "
      "\"mean_power_w\": 4.25, \"joules_per_inference\": 0.01}}";
  EP_CHECK_OK(ep_plan_measured_power_parse(with, strlen(with), "edge.json", &p));
  EP_CHECK(p.present && p.mean_power_w == 4.25 && strcmp(p.meter, "ina3221") == 0 &&
           strcmp(p.scope, "board") == 0 && strstr(p.description, "VDD_IN") != NULL);
  const char* absent[] = {"{\"model\": \"mlp\"}", "{\"model\": \"mlp\", \"energy\": null}"};
  for (int i = 0; i < 2; i++) {
    p.present = true;
    EP_CHECK_OK(ep_plan_measured_power_parse(absent[i], strlen(absent[i]), "e.json", &p));
    EP_CHECK(!p.present);
  }
  const char* bad[] = {"{\"energy\": 3}",
                       "{\"energy\": {\"meter\": \"rapl\"}}",
                       "{\"energy\": {\"meter\": \"rapl\", \"mean_power_w\": -1}}",
                       "{\"energy\": {\"meter\": \"rapl\", \"mean_power_w\": 0}}",
                       "[1]",
                       "nope"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    EP_CHECK_MSG(
        ep_plan_measured_power_parse(bad[i], strlen(bad[i]), "e.json", &p) == EP_ERR_FORMAT,
        "'%s' accepted", bad[i]);
    EP_CHECK(strstr(ep_last_error(), "e.json") != NULL);
  }
}

int main(void) {
  snprintf(base, sizeof base, "%s/ep-energy-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  if (mkdtemp(base) == NULL) {
    perror("mkdtemp");
    return 1;
  }
  test_rapl();
  test_rapl_root_only();
  test_ina3221_tx2();
  test_ina3221_hwmon();
  test_battery();
  test_no_meter();
  test_plan_measured_power();
  char cmd[512];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", base);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", base);
  return ep_test_finish();
}
