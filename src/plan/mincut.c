/* Dinic's maximum flow on a small graph (a few thousand vertices at most: the nodes and tensors
 * of a network, times the tiers), double capacities, INFINITY for constraints. */
#include <math.h>
#include <stdlib.h>

#include "plan/partition_internal.h"

typedef struct flow_edge {
  int to;
  int next; /* next edge out of the same vertex, -1 at the end */
  double cap;
} flow_edge;

struct ep_plan_flow {
  int n, vertex_cap;
  int* head;  /* first edge out of each vertex */
  int* level;
  int* iter;
  int* queue;
  flow_edge* edges;
  int n_edges, edge_cap;
  double eps; /* residual capacities below this are saturated */
};

ep_plan_flow* ep_plan_flow_create(int n_vertices) {
  ep_plan_flow* f = calloc(1, sizeof *f);
  if (f == NULL) return NULL;
  f->n = 0;
  for (int i = 0; i < n_vertices; i++) {
    if (ep_plan_flow_add_vertex(f) < 0) {
      ep_plan_flow_destroy(f);
      return NULL;
    }
  }
  return f;
}

void ep_plan_flow_destroy(ep_plan_flow* f) {
  if (f == NULL) return;
  free(f->head);
  free(f->level);
  free(f->iter);
  free(f->queue);
  free(f->edges);
  free(f);
}

int ep_plan_flow_vertex_count(const ep_plan_flow* f) { return f->n; }

int ep_plan_flow_add_vertex(ep_plan_flow* f) {
  if (f->n == f->vertex_cap) {
    int cap = f->vertex_cap > 0 ? 2 * f->vertex_cap : 64;
    int* head = realloc(f->head, (size_t)cap * sizeof *head);
    if (head == NULL) return -1;
    f->head = head;
    f->vertex_cap = cap;
  }
  f->head[f->n] = -1;
  return f->n++;
}

static int push_edge(ep_plan_flow* f, int from, int to, double cap) {
  if (f->n_edges == f->edge_cap) {
    int cap_edges = f->edge_cap > 0 ? 2 * f->edge_cap : 256;
    flow_edge* e = realloc(f->edges, (size_t)cap_edges * sizeof *e);
    if (e == NULL) return -1;
    f->edges = e;
    f->edge_cap = cap_edges;
  }
  flow_edge* e = &f->edges[f->n_edges];
  e->to = to;
  e->cap = cap;
  e->next = f->head[from];
  f->head[from] = f->n_edges++;
  return 0;
}

int ep_plan_flow_add_edge(ep_plan_flow* f, int from, int to, double cap) {
  if (from < 0 || to < 0 || from >= f->n || to >= f->n || !(cap >= 0)) return -1;
  if (cap == 0 || from == to) return 0;
  /* Edge 2i is the forward edge, 2i + 1 its residual twin. */
  if (push_edge(f, from, to, cap) != 0 || push_edge(f, to, from, 0.0) != 0) return -1;
  return 0;
}

static bool bfs(ep_plan_flow* f, int s, int t) {
  for (int v = 0; v < f->n; v++) f->level[v] = -1;
  int qh = 0, qt = 0;
  f->queue[qt++] = s;
  f->level[s] = 0;
  while (qh < qt) {
    int v = f->queue[qh++];
    for (int e = f->head[v]; e >= 0; e = f->edges[e].next) {
      int w = f->edges[e].to;
      if (f->edges[e].cap > f->eps && f->level[w] < 0) {
        f->level[w] = f->level[v] + 1;
        f->queue[qt++] = w;
      }
    }
  }
  return f->level[t] >= 0;
}

/* One augmenting path in the level graph, iteratively (networks can be deep). */
static double augment(ep_plan_flow* f, int s, int t) {
  int* path = f->queue; /* edges on the path; reuses the BFS queue */
  int depth = 0;
  int v = s;
  while (true) {
    if (v == t) {
      double push = INFINITY;
      for (int i = 0; i < depth; i++) push = fmin(push, f->edges[path[i]].cap);
      for (int i = 0; i < depth; i++) {
        f->edges[path[i]].cap -= push;
        f->edges[path[i] ^ 1].cap += push;
      }
      return push;
    }
    int e = f->iter[v];
    while (e >= 0 && !(f->edges[e].cap > f->eps && f->level[f->edges[e].to] == f->level[v] + 1)) {
      e = f->edges[e].next;
    }
    f->iter[v] = e;
    if (e >= 0) {
      path[depth++] = e;
      v = f->edges[e].to;
    } else {
      if (depth == 0) return 0.0;
      f->level[v] = -1; /* dead end */
      depth--;
      v = f->edges[path[depth] ^ 1].to;
      f->iter[v] = f->edges[f->iter[v]].next;
    }
  }
}

double ep_plan_flow_run(ep_plan_flow* f, int s, int t) {
  free(f->level);
  free(f->iter);
  free(f->queue);
  f->level = malloc((size_t)f->n * sizeof *f->level);
  f->iter = malloc((size_t)f->n * sizeof *f->iter);
  f->queue = malloc(((size_t)f->n + 1) * sizeof *f->queue);
  if (f->level == NULL || f->iter == NULL || f->queue == NULL) return NAN;
  double finite = 0;
  for (int e = 0; e < f->n_edges; e += 2) {
    if (isfinite(f->edges[e].cap)) finite += f->edges[e].cap;
  }
  f->eps = 1e-12 * fmax(finite, 1e-300);
  double total = 0;
  while (bfs(f, s, t)) {
    for (int v = 0; v < f->n; v++) f->iter[v] = f->head[v];
    double pushed;
    while ((pushed = augment(f, s, t)) > 0) total += pushed;
  }
  return total;
}

void ep_plan_flow_sink_side(const ep_plan_flow* f, int t, bool* sink_side_out) {
  /* Reverse search from t over edges with residual capacity into the vertex. */
  for (int v = 0; v < f->n; v++) sink_side_out[v] = false;
  int* stack = f->queue;
  int top = 0;
  stack[top++] = t;
  sink_side_out[t] = true;
  while (top > 0) {
    int v = stack[--top];
    for (int e = f->head[v]; e >= 0; e = f->edges[e].next) {
      /* e: v -> w; its twin w -> v has residual capacity edges[e ^ 1].cap. */
      int w = f->edges[e].to;
      if (!sink_side_out[w] && f->edges[e ^ 1].cap > f->eps) {
        sink_side_out[w] = true;
        stack[top++] = w;
      }
    }
  }
}
