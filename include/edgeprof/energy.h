/* Energy meters: what the machine's own hardware says it consumed while a network ran.
 *
 * Three kinds, looked for in this order under a sysfs root ("/sys" on a real machine, a fixture
 * tree in tests):
 *   rapl     Linux powercap RAPL: class/powercap/intel-rapl:N with name "package-N" (Intel, and
 *            AMD Zen on recent kernels), energy_uj counters summed over the packages. The
 *            counters wrap at max_energy_range_uj; a wrap between two readings is added back.
 *            The CPU package only: not DRAM, not the rest of the machine. Since Linux 5.10
 *            energy_uj is readable by root only.
 *   ina3221  the INA3221 power monitors of NVIDIA Jetson boards: the rail named "*_IN" (VDD_IN on
 *            TX2 and Orin, POM_5V_IN on Nano and Xavier: the whole board's input), else every
 *            rail summed. L4T up to R32: bus/i2c/drivers/ina3221x/ * /iio:device* /in_powerN_input
 *            (mW) named by rail_name_N; L4T R34 on: bus/i2c/drivers/ina3221/ * /hwmon/hwmon* /
 *            inN_input (mV) x currN_input (mA) named by inN_label.
 *   battery  a battery's fuel gauge (class/power_supply/X with type "Battery", status
 *            "Discharging"): power_now (uW), else |current_now| (uA) x voltage_now (uV). The
 *            whole device, screen included; gauges update about once a second, so measure for
 *            10 s or more. A charging battery measures the charger, and is refused.
 * RAPL is a counter read at start and stop (and every `counter_period_s` to catch several
 * wraps); the others give power, which a sampling thread reads every `power_period_s` and
 * integrates over time (trapezoids).
 *
 * Tests drive a meter by hand: options.manual leaves out the thread, options.now replaces the
 * clock, and ep_energy_meter_sample takes one reading.
 *
 * Thread-safety: one meter is used by one thread at a time (its own sampling thread aside). */
#ifndef EDGEPROF_ENERGY_H
#define EDGEPROF_ENERGY_H

#include <stdbool.h>

#include "edgeprof/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ep_energy_meter ep_energy_meter;

typedef struct ep_energy_options {
  double (*now)(void* user); /* seconds, monotonic; NULL: ep_now */
  void* user;
  double power_period_s;   /* sampling period of power meters; 0: 0.01 */
  double counter_period_s; /* reading period of counters; 0: 1.0 */
  bool manual;             /* no sampling thread: readings only at start, stop and _sample */
} ep_energy_options;

typedef struct ep_energy_reading {
  double joules;       /* consumed between start and stop */
  double seconds;      /* between start and stop, on the meter's clock */
  double mean_power_w; /* joules / seconds; 0 when seconds is 0 */
  int samples;         /* readings taken, start and stop included */
  int wraps;           /* counter wrap-arounds added back (RAPL) */
} ep_energy_reading;

/* Finds the first meter under `sysfs_root` (NULL: "/sys"). `options` may be NULL (defaults).
 * EP_ERR_NOT_FOUND when there is none, with a message for one line after "energy: no meter
 * here": what was looked for and why each was not usable ("RAPL package-0 is there but
 * energy_uj is readable by root only (Linux >= 5.10): run as root or `sudo chmod o+r ...`").
 * EP_ERR_OUT_OF_MEMORY. */
ep_status ep_energy_meter_detect(const char* sysfs_root, const ep_energy_options* options,
                                 ep_energy_meter** meter_out);
/* Stops a running meter; NULL is a no-op. */
void ep_energy_meter_destroy(ep_energy_meter* meter);

/* "rapl", "ina3221", "battery". */
const char* ep_energy_meter_name(const ep_energy_meter* meter);
/* "RAPL package-0 (CPU package)", "INA3221 rail VDD_IN (board input)", "battery fuel gauge
 * (BAT0, power_now)". */
const char* ep_energy_meter_description(const ep_energy_meter* meter);
/* What a reading covers, for reports: "cpu package", "board", "device". */
const char* ep_energy_meter_scope(const ep_energy_meter* meter);
/* A sentence on what detection passed over ("RAPL is not readable ... ; using the battery"),
 * or "" */
const char* ep_energy_meter_note(const ep_energy_meter* meter);
/* Shortest measurement worth reporting, in seconds: how often the meter's figure changes
 * (RAPL 0.01, INA3221 0.1, battery 10). */
double ep_energy_meter_min_seconds(const ep_energy_meter* meter);

/* Starts measuring: takes the first reading and, unless manual, starts the sampling thread.
 * EP_ERR_INVALID_ARGUMENT if already started; EP_ERR_IO when the meter cannot be read. */
ep_status ep_energy_meter_start(ep_energy_meter* meter);
/* One reading now (what the sampling thread does). EP_ERR_IO when unreadable. */
ep_status ep_energy_meter_sample(ep_energy_meter* meter);
/* Stops the thread, takes the last reading and writes what was consumed since start.
 * EP_ERR_INVALID_ARGUMENT if not started; EP_ERR_IO when a reading failed meanwhile. */
ep_status ep_energy_meter_stop(ep_energy_meter* meter, ep_energy_reading* reading_out);

/* What a measurement of `inferences` inferences consumed, as results carry it. */
typedef struct ep_energy_result {
  char meter[16];        /* ep_energy_meter_name */
  char description[160]; /* ep_energy_meter_description */
  char scope[16];        /* ep_energy_meter_scope */
  double joules, seconds, mean_power_w;
  int inferences;
  double joules_per_inference; /* joules / inferences */
  bool short_window;           /* seconds < ep_energy_meter_min_seconds: take with care */
} ep_energy_result;

void ep_energy_result_fill(const ep_energy_meter* meter, const ep_energy_reading* reading,
                           int inferences, ep_energy_result* result_out);

#ifdef __cplusplus
}
#endif

#endif /* EDGEPROF_ENERGY_H */
