/* Einsum lowered at import to Transpose, Reshape, MatMul and ReduceSum: the patterns attention
 * and exporters write ("bhid,bhjd->bhij", "bhij,bhjd->bhid", "bid,bjd->bij", "ij,jk->ik",
 * batch products with transposes, "...ij,...jk->...ik", one-operand permutations and sums).
 *
 * Two operands: every label is a batch label (both operands and the output), a contracted one
 * (both operands, not the output), or kept from one operand only. A becomes [batch, M, K] and
 * B [batch, K, N] by a transpose and a reshape each; one MatMul; then a reshape and a transpose
 * into the output's order. Labels repeated within an operand (diagonals, traces), labels summed
 * out of one operand only, and batch dims of different sizes (broadcasting) are refused with the
 * equation named. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "graph/graph_internal.h"
#include "onnx/onnx_internal.h"

enum { MAX_LABELS = 64 };

typedef struct term {
  int rank;
  int labels[EP_MAX_RANK]; /* label ids: 'a'..'z' 0..25, 'A'..'Z' 26..51, ellipsis dims 52.. */
} term;

/* Parses one term (ellipsis dims take labels 52 + distance from the end of the ellipsis). */
static bool parse_term(const char* s, size_t len, int ellipsis_rank, term* t) {
  t->rank = 0;
  for (size_t i = 0; i < len; i++) {
    const char ch = s[i];
    if (ch == ' ') continue;
    if (ch == '.') {
      if (i + 2 >= len + 0 || s[i + 1] != '.' || s[i + 2] != '.' || ellipsis_rank < 0) return false;
      for (int k = ellipsis_rank - 1; k >= 0; k--) {
        if (t->rank >= EP_MAX_RANK) return false;
        t->labels[t->rank++] = 52 + k;
      }
      i += 2;
      continue;
    }
    if (!isalpha((unsigned char)ch) || t->rank >= EP_MAX_RANK) return false;
    t->labels[t->rank++] = islower((unsigned char)ch) ? ch - 'a' : 26 + ch - 'A';
  }
  return true;
}

static int count_letters(const char* s, size_t len, bool* has_ellipsis) {
  int k = 0;
  *has_ellipsis = false;
  for (size_t i = 0; i < len; i++) {
    if (isalpha((unsigned char)s[i])) k++;
    if (s[i] == '.') *has_ellipsis = true;
  }
  return k;
}

static int find(const term* t, int label) {
  for (int i = 0; i < t->rank; i++) {
    if (t->labels[i] == label) return i;
  }
  return -1;
}

static bool identity_perm(const int* perm, int rank) {
  for (int i = 0; i < rank; i++) {
    if (perm[i] != i) return false;
  }
  return true;
}

typedef struct lower {
  onnx_imp* c;
  const char* name;
  int step;
} lower;

static ep_status emit_step(lower* l, ep_op op, const ep_attrs* a, const int* ins, int n_ins,
                           const char* onnx_out, int* out) {
  char node_name[512];
  snprintf(node_name, sizeof node_name, "%s/%s%d", l->name, ep_op_name(op), l->step++);
  return ep_imp_emit(l->c, op, node_name, a, ins, n_ins, onnx_out, onnx_out, out);
}

static ep_status transpose(lower* l, int x, const int* perm, int rank, int* out) {
  if (identity_perm(perm, rank)) {
    *out = x;
    return EP_OK;
  }
  ep_attrs a = ep_attrs_default(EP_OP_TRANSPOSE);
  for (int i = 0; i < rank; i++) a.perm[i] = perm[i];
  return emit_step(l, EP_OP_TRANSPOSE, &a, &x, 1, NULL, out);
}

static ep_status reshape(lower* l, int x, const ep_shape* target, int* out) {
  if (ep_shape_equal(ep_imp_shape(l->c, x), target)) {
    *out = x;
    return EP_OK;
  }
  ep_attrs a = ep_attrs_default(EP_OP_RESHAPE);
  a.shape = *target;
  return emit_step(l, EP_OP_RESHAPE, &a, &x, 1, NULL, out);
}

/* The last step writes the ONNX output: a view of `x` when nothing else is left to do. */
static ep_status finish(lower* l, int x, const char* y) {
  ep_attrs a = ep_attrs_default(EP_OP_RESHAPE);
  a.shape = *ep_imp_shape(l->c, x);
  if (a.shape.rank < 1) return ep_imp_unsupported(l->c, "a scalar result");
  return emit_step(l, EP_OP_RESHAPE, &a, &x, 1, y, NULL);
}

ep_status ep_onnx_import_einsum(onnx_imp* c, const Onnx__NodeProto* n) {
  char eq[256];
  ep_onnx_attr_string(n, "equation", eq, sizeof eq);
  const int k = ep_imp_n_inputs(n);
  if (eq[0] == '\0') return ep_imp_bad(c, "no equation");
  if (k < 1 || k > 2) {
    return ep_imp_unsupported(c, "equation '%s': %d operands (1 or 2 are supported)", eq, k);
  }
  int ids[2];
  for (int i = 0; i < k; i++) {
    ep_status st = ep_imp_tensor(c, n, i, &ids[i]);
    if (st != EP_OK) return st;
  }
  /* Split "lhs->rhs" and the lhs at its comma. */
  const char* arrow = strstr(eq, "->");
  const size_t lhs_len = arrow != NULL ? (size_t)(arrow - eq) : strlen(eq);
  const char* comma = memchr(eq, ',', lhs_len);
  if ((comma != NULL) != (k == 2)) return ep_imp_bad(c, "equation '%s' for %d inputs", eq, k);
  const char* part[2] = {eq, comma != NULL ? comma + 1 : NULL};
  size_t part_len[2] = {comma != NULL ? (size_t)(comma - eq) : lhs_len,
                        comma != NULL ? lhs_len - (size_t)(comma + 1 - eq) : 0};
  term in[2], out;
  int ell_rank = 0;
  for (int i = 0; i < k; i++) {
    bool ell;
    const int letters = count_letters(part[i], part_len[i], &ell);
    const int rank = ep_imp_shape(c, ids[i])->rank;
    const int er = ell ? rank - letters : 0;
    if (er < 0 || (!ell && letters != rank) || !parse_term(part[i], part_len[i], er, &in[i])) {
      return ep_imp_bad(c, "equation '%s': term %d does not match a rank-%d input", eq, i, rank);
    }
    if (er > ell_rank) ell_rank = er;
  }
  /* Label sizes, and repeated labels. */
  int64_t size[MAX_LABELS] = {0};
  int uses[MAX_LABELS] = {0};
  for (int i = 0; i < k; i++) {
    const ep_shape* s = ep_imp_shape(c, ids[i]);
    for (int d = 0; d < in[i].rank; d++) {
      const int lab = in[i].labels[d];
      if (find(&in[i], lab) != d) {
        return ep_imp_unsupported(c, "equation '%s': a label repeated in one operand (diagonal)", eq);
      }
      if (size[lab] != 0 && size[lab] != s->dims[d]) {
        return ep_imp_unsupported(c, "equation '%s': dims of one label differ (%lld, %lld): broadcasting",
                                  eq, (long long)size[lab], (long long)s->dims[d]);
      }
      size[lab] = s->dims[d];
      uses[lab]++;
    }
  }
  if (arrow != NULL) {
    if (!parse_term(arrow + 2, strlen(arrow + 2), ell_rank, &out)) {
      return ep_imp_bad(c, "equation '%s': bad output term", eq);
    }
    for (int d = 0; d < out.rank; d++) {
      if (size[out.labels[d]] == 0 || find(&out, out.labels[d]) != d) {
        return ep_imp_bad(c, "equation '%s': output label not in the inputs, or repeated", eq);
      }
    }
  } else {
    /* Implicit output: the ellipsis dims, then the labels used once, in alphabetical order. */
    out.rank = 0;
    for (int lab = 52 + ell_rank - 1; lab >= 52; lab--) out.labels[out.rank++] = lab;
    for (int lab = 0; lab < 52; lab++) {
      if (uses[lab] == 1) {
        if (out.rank >= EP_MAX_RANK) return ep_imp_unsupported(c, "equation '%s': rank", eq);
        out.labels[out.rank++] = lab;
      }
    }
  }
  lower l = {c, ep_imp_node_name(n), 0};
  const char* y = n->n_output > 0 && n->output[0] != NULL && n->output[0][0] ? n->output[0] : NULL;
  if (y == NULL) return EP_OK;
  ep_status st;
  if (k == 1) {
    /* Sum the labels the output drops, then put the rest in the output's order. */
    ep_attrs a = ep_attrs_default(EP_OP_REDUCE_SUM);
    a.keepdims = false;
    term kept = {0};
    for (int d = 0; d < in[0].rank; d++) {
      if (find(&out, in[0].labels[d]) < 0) {
        a.reduce_axes |= 1u << d;
      } else {
        kept.labels[kept.rank++] = in[0].labels[d];
      }
    }
    int x = ids[0];
    if (a.reduce_axes != 0) {
      if (kept.rank == 0) return ep_imp_unsupported(c, "equation '%s': a scalar result", eq);
      st = emit_step(&l, EP_OP_REDUCE_SUM, &a, &x, 1, NULL, &x);
      if (st != EP_OK) return st;
    }
    int perm[EP_MAX_RANK];
    for (int d = 0; d < out.rank; d++) perm[d] = find(&kept, out.labels[d]);
    st = transpose(&l, x, perm, out.rank, &x);
    return st == EP_OK ? finish(&l, x, y) : st;
  }
  /* Two operands: classify the labels. */
  int batch[EP_MAX_RANK], ma[EP_MAX_RANK], nb[EP_MAX_RANK], kc[EP_MAX_RANK];
  int n_batch = 0, n_m = 0, n_n = 0, n_k = 0;
  int64_t bsz = 1, m = 1, nn = 1, kk = 1;
  for (int d = 0; d < in[0].rank; d++) {
    const int lab = in[0].labels[d];
    const bool in_b = find(&in[1], lab) >= 0, in_out = find(&out, lab) >= 0;
    if (in_b && in_out) {
      batch[n_batch++] = lab;
      bsz *= size[lab];
    } else if (in_b) {
      kc[n_k++] = lab;
      kk *= size[lab];
    } else if (in_out) {
      ma[n_m++] = lab;
      m *= size[lab];
    } else {
      return ep_imp_unsupported(c, "equation '%s': a label summed out of one operand only", eq);
    }
  }
  for (int d = 0; d < in[1].rank; d++) {
    const int lab = in[1].labels[d];
    if (find(&in[0], lab) >= 0) continue;
    if (find(&out, lab) < 0) {
      return ep_imp_unsupported(c, "equation '%s': a label summed out of one operand only", eq);
    }
    nb[n_n++] = lab;
    nn *= size[lab];
  }
  (void)bsz;
  /* A -> [batch..., M, K], B -> [batch..., K, N]. */
  int perm[EP_MAX_RANK], r = 0;
  for (int i = 0; i < n_batch; i++) perm[r++] = find(&in[0], batch[i]);
  for (int i = 0; i < n_m; i++) perm[r++] = find(&in[0], ma[i]);
  for (int i = 0; i < n_k; i++) perm[r++] = find(&in[0], kc[i]);
  int a_t, b_t;
  st = transpose(&l, ids[0], perm, r, &a_t);
  if (st != EP_OK) return st;
  r = 0;
  for (int i = 0; i < n_batch; i++) perm[r++] = find(&in[1], batch[i]);
  for (int i = 0; i < n_k; i++) perm[r++] = find(&in[1], kc[i]);
  for (int i = 0; i < n_n; i++) perm[r++] = find(&in[1], nb[i]);
  st = transpose(&l, ids[1], perm, r, &b_t);
  if (st != EP_OK) return st;
  if (n_batch + 2 > EP_MAX_RANK) return ep_imp_unsupported(c, "equation '%s': rank", eq);
  ep_shape sa = {0}, sb = {0};
  for (int i = 0; i < n_batch; i++) sa.dims[sa.rank++] = sb.dims[sb.rank++] = size[batch[i]];
  sa.dims[sa.rank++] = m;
  sa.dims[sa.rank++] = kk;
  sb.dims[sb.rank++] = kk;
  sb.dims[sb.rank++] = nn;
  st = reshape(&l, a_t, &sa, &a_t);
  if (st == EP_OK) st = reshape(&l, b_t, &sb, &b_t);
  if (st != EP_OK) return st;
  int prod;
  const int mm[2] = {a_t, b_t};
  ep_attrs ma_attrs = ep_attrs_default(EP_OP_MATMUL);
  st = emit_step(&l, EP_OP_MATMUL, &ma_attrs, mm, 2, NULL, &prod);
  if (st != EP_OK) return st;
  /* [batch..., M, N] -> [batch..., m labels..., n labels...] -> the output's order. */
  term got = {0};
  ep_shape sy = {0};
  for (int i = 0; i < n_batch; i++) got.labels[got.rank++] = batch[i];
  for (int i = 0; i < n_m; i++) got.labels[got.rank++] = ma[i];
  for (int i = 0; i < n_n; i++) got.labels[got.rank++] = nb[i];
  if (got.rank != out.rank) return ep_imp_bad(c, "equation '%s': output labels", eq);
  for (int i = 0; i < got.rank; i++) sy.dims[sy.rank++] = size[got.labels[i]];
  if (sy.rank == 0) return ep_imp_unsupported(c, "equation '%s': a scalar result", eq);
  st = reshape(&l, prod, &sy, &prod);
  if (st != EP_OK) return st;
  for (int d = 0; d < out.rank; d++) perm[d] = find(&got, out.labels[d]);
  st = transpose(&l, prod, perm, out.rank, &prod);
  return st == EP_OK ? finish(&l, prod, y) : st;
}
