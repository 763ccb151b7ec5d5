/* edgeprof info MODEL | info --table1: a model's nodes and cost; the paper's Table I. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_args.h"
#include "cli_options.h"
#include "edgeprof/characterize.h"
#include "edgeprof/profile.h"
#include "edgeprof/zoo.h"

static void print_totals(const char* label, const ep_graph* g) {
  ep_graph_totals t;
  char params[32], macs[32], flops[32], weights[32], acts[32];
  ep_graph_totals_compute(g, &t);
  printf("%-20s params %s, MACs %s, FLOPs %s, weights %s, activations %s, %d nodes, "
         "%d layers\n",
         label, ep_format_count(t.params, params, sizeof params),
         ep_format_count(t.macs, macs, sizeof macs), ep_format_count(t.flops, flops, sizeof flops),
         ep_format_bytes(t.weight_bytes, weights, sizeof weights),
         ep_format_bytes(t.activation_bytes, acts, sizeof acts), t.nodes, t.layers);
}

static void print_nodes(const char* model, const ep_graph* g, const ep_graph* defined) {
  int n = ep_graph_node_count(g);
  int width = 4, op_width = 2;
  char op[64];
  for (int i = 0; i < n; i++) {
    const ep_node* node = ep_graph_node(g, i);
    int len = (int)strlen(node->name);
    int op_len = (int)strlen(ep_node_op_label(node, op, sizeof op));
    if (len > width) width = len;
    if (op_len > op_width) op_width = op_len;
  }
  printf(
      "%s: %d nodes as run (batch norm folded, residual adds and activations fused), in run "
      "order\n\n",
      model, n);
  printf("%4s  %-*s  %-*s  %-16s %10s %10s %12s\n", "#", width, "node", op_width, "op",
         "output shape", "params", "MACs", "output bytes");
  for (int i = 0; i < n; i++) {
    const ep_node* node = ep_graph_node(g, i);
    char shape[96] = "", params[32], macs[32];
    if (node->n_outputs > 0) {
      ep_shape_format(&ep_graph_tensor(g, node->outputs[0])->shape, shape, sizeof shape);
    }
    printf("%4d  %-*s  %-*s  %-16s %10s %10s %12lld\n", i, width, node->name, op_width,
           ep_node_op_label(node, op, sizeof op), shape,
           ep_format_count(node->cost.params, params, sizeof params),
           ep_format_count(node->cost.macs, macs, sizeof macs),
           (long long)node->cost.output_bytes);
  }
  printf("\n");
  print_totals("totals (as run):", g);
  print_totals("totals (as defined):", defined);
}

static int info_model(const cli_args* a) {
  const char* model = a->positional[0];
  ep_graph* defined = NULL;
  ep_graph* optimized = NULL;
  ep_output* json = NULL;
  int rc = cli_output_open("info", a->json, &json);
  if (rc != CLI_EXIT_OK) return rc;
  rc = cli_load_model("info", model, a->seed, &defined, &optimized);
  if (rc != CLI_EXIT_OK) goto cleanup;
  if (!cli_is_stdout(a->json)) print_nodes(model, optimized, defined);
  if (json != NULL) {
    ep_status status = ep_report_info_json(model, optimized, defined, ep_output_stream(json));
    if (status != EP_OK) {
      rc = cli_fail(CLI_EXIT_RUNTIME, "info: %s", ep_last_error());
      goto cleanup;
    }
    rc = cli_output_commit("info", json);
    json = NULL;
  }

cleanup:
  cli_output_discard(json);
  ep_graph_destroy(optimized);
  ep_graph_destroy(defined);
  return rc;
}

static const char* cell(const char* s) { return s != NULL && s[0] != '\0' ? s : "-"; }

/* The rows of one zoo set: edgeprof's figures, the paper's (or the reference's) below. */
static void print_rows(const ep_table1_row* rows, int n, ep_zoo_set set) {
  const char* source = set == EP_ZOO_PAPER ? "paper" : "reference";
  printf("%-13s %-9s %-13s %-11s %7s %9s %9s %9s\n", "model", "source", "input", "output",
         "layers", "params", "MACs", "FLOPs");
  for (int i = 0; i < n; i++) {
    const ep_table1_row* r = &rows[i];
    if (r->zoo->set != set) continue;
    const ep_paper_row* p = &r->zoo->paper;
    char params[32], macs[32], flops[32];
    printf("%-13s %-9s %-13s %-11s %7d %9s %9s %9s\n", r->zoo->name, "edgeprof", r->input,
           r->output, r->totals.layers, ep_format_count(r->totals.params, params, sizeof params),
           ep_format_count(r->totals.macs, macs, sizeof macs),
           ep_format_count(r->totals.flops, flops, sizeof flops));
    printf("%-13s %-9s %-13s %-11s %7s %9s %9s %9s\n", set == EP_ZOO_PAPER ? cell(p->name) : "",
           source, cell(p->input), cell(p->output), cell(p->layers), cell(p->params),
           cell(p->macs), cell(p->flops));
    if (set == EP_ZOO_MODERN) printf("  reference: %s\n", cell(p->name));
    if (r->zoo->paper_note != NULL && r->zoo->paper_note[0] != '\0') {
      printf("  note: %s\n", r->zoo->paper_note);
    }
  }
}

static void print_table1(const ep_table1_row* rows, int n) {
  printf("Table I of the paper beside edgeprof's figures (graphs as defined, batch 1)\n\n");
  print_rows(rows, n, EP_ZOO_PAPER);
  printf("\nMACs are multiply-accumulates; FLOPs = 2 x MACs. The paper's FLOPs column mixes "
         "the two conventions.\n");
  bool modern = false;
  for (int i = 0; i < n; i++) modern = modern || rows[i].zoo->set == EP_ZOO_MODERN;
  if (!modern) return;
  printf("\nThe modern set (not in the paper) beside the reference figures of the literature "
         "(graphs as defined, batch 1)\n\n");
  print_rows(rows, n, EP_ZOO_MODERN);
}

static int info_table1(const cli_args* a) {
  ep_table1_row rows[32];
  int n = ep_zoo_count() < 32 ? ep_zoo_count() : 32;
  ep_output* json = NULL;
  int rc = cli_output_open("info", a->json, &json);
  if (rc != CLI_EXIT_OK) return rc;
  for (int i = 0; i < n; i++) {
    ep_status status = ep_table1_row_compute(ep_zoo_entry_at(i)->name, a->seed, &rows[i]);
    if (status != EP_OK) {
      rc = cli_fail(CLI_EXIT_RUNTIME, "info: %s", ep_last_error());
      goto cleanup;
    }
  }
  if (!cli_is_stdout(a->json)) print_table1(rows, n);
  if (json != NULL) {
    ep_status status = ep_report_table1_json(rows, n, ep_output_stream(json));
    if (status != EP_OK) {
      rc = cli_fail(CLI_EXIT_RUNTIME, "info: %s", ep_last_error());
      goto cleanup;
    }
    rc = cli_output_commit("info", json);
    json = NULL;
  }

cleanup:
  cli_output_discard(json);
  return rc;
}

int cmd_info(int argc, char** argv) {
  cli_args args;
  cli_args_default(&args);
  const cli_option options[] = {
      CLI_OPTION_JSON(&args),
      CLI_OPTION_SEED(&args),
      CLI_OPTION_NO_FUSE(&args),
      CLI_OPTION_SHAPE(&args),
      {.name = "--table1", .kind = CLI_FLAG, .target = &args.table1,
       .help = "the paper's Table I beside the computed figures for its five\n"
               "networks, then the modern set beside the reference figures of\n"
               "the literature"},
  };
  int rc = cli_parse("info", options, CLI_COUNT(options), argc, argv, &args);
  if (rc != 0) return rc < 0 ? CLI_EXIT_OK : rc;
  if (args.table1) {
    if (args.n_positional > 0) {
      return cli_fail(CLI_EXIT_USAGE, "info: --table1 takes no MODEL (got '%s')",
                      args.positional[0]);
    }
    return info_table1(&args);
  }
  if (args.n_positional != 1) {
    return cli_fail(CLI_EXIT_USAGE, "info: %s (usage: edgeprof info MODEL | info --table1)",
                    args.n_positional == 0 ? "missing MODEL" : "one MODEL at a time");
  }
  return info_model(&args);
}
