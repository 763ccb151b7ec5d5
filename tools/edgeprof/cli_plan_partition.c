/* plan: the text of a partition. */
#include "cli_plan_partition.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* "device 57 nodes (3.2 ms), server 30 nodes (1.1 ms)". */
static void print_tiers(const ep_plan_partition* p) {
  bool first = true;
  for (int t = 0; t < EP_TIER_COUNT; t++) {
    int count = 0;
    for (int i = 0; i < p->n_nodes; i++) count += p->tier[i] == t;
    if (count == 0) continue;
    printf("%s%s %d node%s (%.3f ms)", first ? "" : ", ", ep_plan_tier_name(t), count,
           count == 1 ? "" : "s", p->compute_ms[t]);
    first = false;
  }
}

/* The first few names of a tensor list. */
static void print_names(const ep_graph* g, const int* ids, int count) {
  enum { SHOWN = 4 };
  for (int i = 0; i < count && i < SHOWN; i++) {
    printf("%s%s", i > 0 ? ", " : "", ep_graph_tensor(g, ids[i])->name);
  }
  if (count > SHOWN) printf(", ... (%d more)", count - SHOWN);
}

void cli_plan_print_partition(const ep_graph* g, const ep_plan_request* r,
                              const ep_plan_partition* p, const ep_plan_cut_error* error,
                              const char* error_input) {
  const char* objective = ep_plan_objective_name(r->objective);
  printf("\nBest partition for %s (--cuts %s, %s tiers%s, cut tensors %s): ", objective,
         ep_plan_cuts_name(r->cuts), r->node_ms[EP_TIER_FOG] != NULL ? "three" : "two",
         p->chain ? ", through the fog" : "", ep_cut_dtype_name(p->dtype));
  print_tiers(p);
  printf("\n");
  if (p->n_hops == 0) printf("  all on the device: nothing is sent\n");
  for (int h = 0; h < p->n_hops; h++) {
    const ep_plan_hop* hop = &p->hops[h];
    printf("  %s -> %s (%s link): up %d tensor%s, %.1f KB", ep_plan_tier_name(hop->from_tier),
           ep_plan_tier_name(hop->to_tier), ep_plan_link_name(hop->link), hop->n_up,
           hop->n_up == 1 ? "" : "s", (double)hop->up_bytes / 1024.0);
    if (p->dtype != EP_CUT_FP32) {
      printf(" (%.1f KB as fp32)", (double)hop->up_fp32_bytes / 1024.0);
    }
    printf(", %.3f ms; RTT %.3g ms; results %.1f KB, %.3f ms\n", hop->up_ms, hop->rtt_ms,
           (double)hop->down_bytes / 1024.0, hop->down_ms);
    if (hop->n_up > 0) {
      printf("    sends: ");
      print_names(g, hop->up_ids, hop->n_up);
      printf("\n");
    }
  }
  printf("  total %.3f ms, device energy %.3f mJ\n", p->total_ms, p->energy_mj);
  if (r->cuts == EP_PLAN_CUTS_DAG && isfinite(p->best_prefix_value)) {
    double gain = p->best_prefix_value - p->objective_value;
    const char* unit = r->objective == EP_PLAN_ENERGY ? "mJ" : "ms";
    if (gain > 1e-9 * fmax(1.0, p->best_prefix_value)) {
      printf("  the best prefix cut: %.3f %s; the DAG partition saves %.3f %s (%.2f %%)\n",
             p->best_prefix_value, unit, gain, unit, 100.0 * gain / p->best_prefix_value);
    } else {
      printf("  the best prefix cut is as good (%.3f %s): no other node set does better\n",
             p->best_prefix_value, unit);
    }
  }
  if (isfinite(p->unconstrained_value) &&
      p->unconstrained_value < p->objective_value - 1e-9 * fmax(1.0, p->objective_value)) {
    printf(
        "  with tensors allowed to go back to the device (%d sent back) the optimum would be "
        "%.3f (one round trip counted): a partition crosses once, as DADS, so this is not used\n",
        p->unconstrained_back_tensors, p->unconstrained_value);
  }
  if (error != NULL) {
    printf("  %s cut tensors on %s: output error %.3g (max |diff| %.3g of max |output| %.3g), "
           "top-1 the same in %d of %d row%s\n",
           ep_cut_dtype_name(p->dtype), error_input, error->relative, error->max_abs, error->max_ref,
           error->rows_agree, error->rows, error->rows == 1 ? "" : "s");
  }
}
