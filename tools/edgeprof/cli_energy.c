/* --energy: the meter around the timed runs (see cli_energy.h). */
#include "cli_energy.h"

#include <stdlib.h>
#include <string.h>

const char* cli_sysfs_root(void) {
  const char* root = getenv("EDGEPROF_SYSFS_ROOT");
  return root != NULL && root[0] != '\0' ? root : "/sys";
}

void cli_energy_open(bool asked, cli_energy* e) {
  memset(e, 0, sizeof *e);
  if (!asked) return;
  if (ep_energy_meter_detect(cli_sysfs_root(), NULL, &e->meter) != EP_OK) {
    e->meter = NULL;
    snprintf(e->why, sizeof e->why, "%s", ep_last_error());
  }
}

bool cli_energy_start(cli_energy* e) {
  if (e->meter == NULL) return false;
  if (ep_energy_meter_start(e->meter) != EP_OK) {
    snprintf(e->why, sizeof e->why, "%s", ep_last_error());
    ep_energy_meter_destroy(e->meter);
    e->meter = NULL;
    return false;
  }
  return true;
}

void cli_energy_stop(cli_energy* e, int inferences) {
  if (e->meter == NULL) return;
  ep_energy_reading reading;
  if (ep_energy_meter_stop(e->meter, &reading) != EP_OK) {
    snprintf(e->why, sizeof e->why, "%s", ep_last_error());
    return;
  }
  ep_energy_result_fill(e->meter, &reading, inferences, &e->result);
  e->measured = true;
}

const ep_energy_result* cli_energy_result(const cli_energy* e) {
  return e->measured ? &e->result : NULL;
}

void cli_energy_print(const cli_energy* e, FILE* out) {
  if (e->measured) {
    const ep_energy_result* r = &e->result;
    double j = r->joules_per_inference;
    fprintf(out, "  energy      %.4g %s per inference, %.3g W mean over %.2f s (%s: %s)\n",
            j >= 1.0    ? j
            : j >= 1e-3 ? j * 1e3
                        : j * 1e6,
            j >= 1.0    ? "J"
            : j >= 1e-3 ? "mJ"
                        : "uJ",
            r->mean_power_w, r->seconds, r->description, r->scope);
    if (r->short_window) {
      double resolution = ep_energy_meter_min_seconds(e->meter);
      fprintf(out,
              "              (over %.3f s, shorter than this meter's %.3g s resolution: use "
              "--min-time %g or more)\n",
              r->seconds, resolution, resolution < 0.5 ? 1.0 : 2.0 * resolution);
    }
    const char* note = ep_energy_meter_note(e->meter);
    if (note[0] != '\0') fprintf(out, "              (%s)\n", note);
  } else if (e->why[0] != '\0') {
    fprintf(out, "energy: no meter here (%s)\n", e->why);
  }
}

void cli_energy_close(cli_energy* e) {
  ep_energy_meter_destroy(e->meter);
  e->meter = NULL;
}
