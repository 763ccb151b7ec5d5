/* Helpers shared by the JSON writers (internal to src/report). */
#ifndef EDGEPROF_REPORT_JSON_UTIL_H
#define EDGEPROF_REPORT_JSON_UTIL_H

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdio.h>

#include "edgeprof/bench.h"
#include "edgeprof/characterize.h"
#include "edgeprof/energy.h"
#include "edgeprof/graph.h"
#include "edgeprof/session.h"
#include "edgeprof/status.h"

/* Starts a document: returns an empty object and clears the allocation-failure flag that the
 * cJSON hooks set, so that ep_json_finish can tell a complete document from a truncated one. */
cJSON* ep_json_begin(void);
/* Prints `doc` (indented) and a newline to `out`, then deletes it. */
ep_status ep_json_finish(cJSON* doc, FILE* out);

/* "environment": {"host","cpu","isa","backend","edgeprof_version","git_hash","date"}: where
 * and with what the document was made. `backend` may be NULL (null: nothing was run). */
void ep_json_add_environment(cJSON* doc, const char* backend);

/* "init_ms": {"load","session","total"} and "first_inference_ms" (bench and profile); null
 * where a time is negative (not measured). */
void ep_json_add_init(cJSON* doc, double load_ms, double session_ms, double first_inference_ms);

/* Milliseconds rounded to 0.1 microsecond so that files stay readable. */
double ep_json_ms(double ms);
void ep_json_add_int(cJSON* obj, const char* key, int64_t value);
void ep_json_add_ms(cJSON* obj, const char* key, double ms);
/* A percentage rounded to 0.0001. */
void ep_json_add_percent(cJSON* obj, const char* key, double percent);
/* {"min","median","mean","p50","p90","p95","p99","p999","max","stddev"} in ms (p50 = median). */
cJSON* ep_json_latency(const ep_latency_stats* stats);
/* {"params","macs","flops","weight_bytes","activation_bytes","nodes","layers"}. */
cJSON* ep_json_totals(const ep_graph_totals* totals);
/* {"weights_packed","activation_arena","scratch"} in bytes. */
void ep_json_add_memory(cJSON* obj, const ep_session_memory* memory);
/* One Table I row: {"name","description","input","output","layers","params","macs","flops",
 * "paper":{...},"note"}. */
cJSON* ep_json_table1_row(const ep_table1_row* row);

/* {"meter","description","scope","joules_per_inference","mean_power_w","joules","seconds",
 * "inferences","short_window"}; null for NULL (defined in bench_json.c). */
cJSON* ep_json_energy(const ep_energy_result* energy);

#endif /* EDGEPROF_REPORT_JSON_UTIL_H */
