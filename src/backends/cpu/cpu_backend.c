/* edgeprof's own CPU backend behind the backend interface: the op table (op_table.c), the
 * blocked-layout plan (layout_plan.c) and the session's thread pool. It runs every op of the IR,
 * so it is also where other backends' unsupported nodes fall back to. */
#include <stdio.h>
#include <stdlib.h>

#include "backends/cpu/layout_plan.h"
#include "backends/cpu/ops.h"
#include "edgeprof/session.h"
#include "kernels/config/kernel-config.h"
#include "runtime/backend.h"

static bool cpu_supports_node(void* ctx, const ep_graph* graph, const ep_node* node) {
  (void)ctx;
  (void)graph;
  return ep_op_kernel(node->op) != NULL;
}

static bool cpu_is_view(const ep_graph* graph, const ep_node* node) {
  (void)graph;
  const op_kernel* k = ep_op_kernel(node->op);
  return k != NULL && k->is_view;
}

static ep_status cpu_plan_layouts(void* ctx, const ep_graph* graph, const bool* owned,
                                  ep_layout* layouts) {
  (void)ctx;
  return ep_layout_plan(graph, owned, layouts);
}

static ep_status cpu_prepare_node(void* ctx, const ep_graph* graph, const ep_node* node,
                                  const ep_layout* layouts, ep_node_prepared* prepared) {
  (void)ctx;
  return ep_op_kernel(node->op)->prepare(graph, node, layouts, prepared);
}

/* The op behind a prepared state is found again from the node: states stay plain kernel data. */
static void cpu_run_node(void* ctx, const void* state, const ep_graph* graph, const ep_node* node,
                         const ep_node_io* io) {
  (void)ctx;
  const op_kernel* k = ep_op_kernel(node->op);
  if (k->run != NULL) k->run(state, node, graph, io); /* a view has nothing to run */
}

static void cpu_destroy_node(void* ctx, const ep_node* node, void* state) {
  (void)ctx;
  const op_kernel* k = ep_op_kernel(node->op);
  if (k != NULL && k->destroy != NULL) {
    k->destroy(state);
  } else {
    free(state);
  }
}

/* "edgeprof kernels, avx2, NCHW8c": the level in use and its blocked layout. */
static const char* cpu_describe(void) {
  static _Thread_local char text[96];
  const char* blocked = ep_session_blocked_layout(); /* EDGEPROF_LAYOUT may turn it off */
  snprintf(text, sizeof text, "edgeprof kernels, %s, %s",
           ep_cpu_isa_name(ep_kernel_config_get()->isa), blocked != NULL ? blocked : "NCHW only");
  return text;
}

const ep_backend_i ep_backend_cpu = {
    .name = "cpu",
    .describe = cpu_describe,
    .supports_node = cpu_supports_node,
    .is_view = cpu_is_view,
    .plan_layouts = cpu_plan_layouts,
    .prepare_node = cpu_prepare_node,
    .run_node = cpu_run_node,
    .destroy_node = cpu_destroy_node,
};
