/* Network presets, bit-rate and duration parsing, the edge power model. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "edgeprof/plan.h"

/* Uplinks: Neurosurgeon (Kang et al., ASPLOS 2017), average measured uplink of each network.
 * RTTs are assumptions of the usual order of magnitude (docs/plan.md), not measurements. */
static const ep_network_preset presets[] = {
    {"3g", 1.1e6, 0.100},
    {"lte", 5.85e6, 0.050},
    {"wifi", 18.88e6, 0.010},
};

#define N_PRESETS (int)(sizeof presets / sizeof presets[0])

int ep_network_preset_count(void) { return N_PRESETS; }

const ep_network_preset* ep_network_preset_at(int index) {
  return index >= 0 && index < N_PRESETS ? &presets[index] : NULL;
}

ep_status ep_network_preset_find(const char* name, ep_network* network_out) {
  for (int i = 0; name != NULL && i < N_PRESETS; i++) {
    if (strcasecmp(presets[i].name, name) == 0) {
      network_out->uplink_bps = presets[i].uplink_bps;
      network_out->downlink_bps = presets[i].uplink_bps;
      network_out->rtt_s = presets[i].rtt_s;
      return EP_OK;
    }
  }
  return ep_error(EP_ERR_NOT_FOUND, "unknown network '%s' (known: 3g, lte, wifi)",
                  name != NULL ? name : "");
}

typedef struct unit {
  const char* suffix;
  double scale;
} unit;

/* Parses "<number><unit>" with a unit from the table (longest suffixes first in the table).
 * Returns 0 on success. */
static int parse_with_units(const char* text, const unit* units, int n_units, bool need_unit,
                            double* value_out) {
  if (text == NULL || *text == '\0') return -1;
  char* end = NULL;
  errno = 0;
  double v = strtod(text, &end);
  if (end == text || errno != 0 || !isfinite(v)) return -1;
  while (*end == ' ') end++;
  if (*end == '\0') {
    if (need_unit) return -1;
    *value_out = v;
    return 0;
  }
  for (int i = 0; i < n_units; i++) {
    if (strcasecmp(end, units[i].suffix) == 0) {
      *value_out = v * units[i].scale;
      return isfinite(*value_out) ? 0 : -1;
    }
  }
  return -1;
}

static const unit rate_units[] = {
    {"Gbit/s", 1e9}, {"Mbit/s", 1e6}, {"kbit/s", 1e3}, {"bit/s", 1},  {"Gbps", 1e9},
    {"Mbps", 1e6},   {"kbps", 1e3},   {"bps", 1},      {"Gbit", 1e9}, {"Mbit", 1e6},
    {"kbit", 1e3},   {"bit", 1},      {"G", 1e9},      {"M", 1e6},    {"k", 1e3},
};

ep_status ep_parse_bitrate(const char* text, double* bps_out) {
  double v = 0;
  if (parse_with_units(text, rate_units, (int)(sizeof rate_units / sizeof rate_units[0]), false,
                       &v) != 0 ||
      !(v > 0)) {
    return ep_error(EP_ERR_INVALID_ARGUMENT,
                    "bad bit rate '%s' (a positive number with a unit: 5.85Mbit, 500kbit, "
                    "1Gbit, Mbit/s, Mbps; a bare number is bit/s)",
                    text != NULL ? text : "");
  }
  *bps_out = v;
  return EP_OK;
}

static const unit time_units[] = {
    {"ms", 1e-3},
    {"us", 1e-6},
    {"s", 1},
};

ep_status ep_parse_duration(const char* text, double* seconds_out) {
  double v = 0;
  if (parse_with_units(text, time_units, (int)(sizeof time_units / sizeof time_units[0]), true,
                       &v) != 0 ||
      v < 0) {
    return ep_error(EP_ERR_INVALID_ARGUMENT,
                    "bad duration '%s' (a non-negative number with a unit: 40ms, 0.04s, 500us)",
                    text != NULL ? text : "");
  }
  *seconds_out = v;
  return EP_OK;
}

ep_status ep_network_parse_link(const char* text, ep_network* network_out) {
  if (text != NULL && ep_network_preset_find(text, network_out) == EP_OK) return EP_OK;
  char buf[128];
  const char* comma = text != NULL ? strchr(text, ',') : NULL;
  ep_network net;
  if (comma == NULL || strlen(text) >= sizeof buf) goto bad;
  memcpy(buf, text, (size_t)(comma - text));
  buf[comma - text] = '\0';
  /* UP/DOWN: the slash followed by a number ("Mbit/s" holds one followed by 's'). */
  char* slash = NULL;
  for (char* c = buf; *c != '\0' && slash == NULL; c++) {
    if (*c == '/' && (isdigit((unsigned char)c[1]) || c[1] == '.')) slash = c;
  }
  if (slash != NULL) *slash = '\0';
  if (ep_parse_bitrate(buf, &net.uplink_bps) != EP_OK) goto bad;
  net.downlink_bps = net.uplink_bps;
  if (slash != NULL && ep_parse_bitrate(slash + 1, &net.downlink_bps) != EP_OK) goto bad;
  if (ep_parse_duration(comma + 1, &net.rtt_s) != EP_OK) goto bad;
  *network_out = net;
  return EP_OK;
bad:
  return ep_error(EP_ERR_INVALID_ARGUMENT,
                  "bad link '%s' (a preset: 3g, lte, wifi; or UP,RTT or UP/DOWN,RTT with units: "
                  "100Mbit,2ms or 50Mbit/200Mbit,15ms)",
                  text != NULL ? text : "");
}

void ep_power_model_default(ep_power_model* power_out) {
  power_out->compute_w = EP_POWER_DEFAULT_COMPUTE_W;
  power_out->idle_w = EP_POWER_DEFAULT_IDLE_W;
  power_out->radio_w = EP_POWER_DEFAULT_RADIO_W;
}

ep_status ep_power_model_parse(const char* text, ep_power_model* power) {
  if (text == NULL || *text == '\0') {
    return ep_error(EP_ERR_INVALID_ARGUMENT, "empty power model (compute=W,idle=W,radio=W)");
  }
  ep_power_model p = *power;
  const char* s = text;
  while (*s != '\0') {
    const char* comma = strchr(s, ',');
    size_t len = comma != NULL ? (size_t)(comma - s) : strlen(s);
    char item[64];
    if (len == 0 || len >= sizeof item) goto bad;
    memcpy(item, s, len);
    item[len] = '\0';
    char* eq = strchr(item, '=');
    if (eq == NULL) goto bad;
    *eq = '\0';
    char* end = NULL;
    errno = 0;
    double w = strtod(eq + 1, &end);
    if (end == eq + 1 || (*end != '\0' && strcasecmp(end, "W") != 0) || errno != 0 ||
        !isfinite(w) || w < 0 || w > 1e6) {
      goto bad;
    }
    if (strcmp(item, "compute") == 0) {
      p.compute_w = w;
    } else if (strcmp(item, "idle") == 0) {
      p.idle_w = w;
    } else if (strcmp(item, "radio") == 0) {
      p.radio_w = w;
    } else {
      goto bad;
    }
    s += len;
    if (*s == ',') s++;
  }
  *power = p;
  return EP_OK;
bad:
  return ep_error(EP_ERR_INVALID_ARGUMENT,
                  "bad power model '%s' (compute=W,idle=W,radio=W with W >= 0, any subset)", text);
}
