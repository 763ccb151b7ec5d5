/* Add, Sub, Mul and Div with numpy broadcasting, checked against values computed here from the
 * broadcasting rule; Add's fused activation; clear errors for shapes that do not broadcast. */
#include "ops_harness.h"

static ep_test_rng rng = {77};

static float apply(ep_op op, float a, float b) {
  switch (op) {
    case EP_OP_SUB:
      return a - b;
    case EP_OP_MUL:
      return a * b;
    case EP_OP_DIV:
      return a / b;
    default:
      return a + b;
  }
}

/* Checks a op b for shapes given as up to 4 dims each, against the broadcasting definition. */
static void check_broadcast(ep_op op, ep_shape sa, ep_shape sb, ep_shape sy, bool b_constant) {
  size_t na = (size_t)ep_shape_numel(&sa), nb = (size_t)ep_shape_numel(&sb);
  size_t ny = (size_t)ep_shape_numel(&sy);
  float* a = malloc(na * sizeof *a);
  float* b = malloc(nb * sizeof *b);
  float* y = malloc(ny * sizeof *y);
  ep_test_fill(&rng, a, na, -2.0f, 2.0f);
  ep_test_fill(&rng, b, nb, 0.5f, 2.0f); /* away from 0 for Div */
  for (size_t i = 0; i < ny; i++) {
    /* Coordinates of i in y, then each operand's index with its dims aligned at the right. */
    size_t rest = i, ia = 0, ib = 0, stride_a = 1, stride_b = 1;
    for (int d = sy.rank - 1; d >= 0; d--) {
      size_t coord = rest % (size_t)sy.dims[d];
      rest /= (size_t)sy.dims[d];
      int da = d - (sy.rank - sa.rank), db = d - (sy.rank - sb.rank);
      if (da >= 0) {
        ia += (sa.dims[da] == 1 ? 0 : coord) * stride_a;
        stride_a *= (size_t)sa.dims[da];
      }
      if (db >= 0) {
        ib += (sb.dims[db] == 1 ? 0 : coord) * stride_b;
        stride_b *= (size_t)sb.dims[db];
      }
    }
    y[i] = apply(op, a[ia], b[ib]);
  }
  op_case c = {.op = op, .n_inputs = 2, .n_outputs = 1};
  c.shape[0] = sa;
  c.shape[1] = sb;
  c.data[0] = a;
  c.data[1] = b;
  c.constant[1] = b_constant;
  c.out_shape[0] = sy;
  c.expected[0] = y;
  char what[160], s1[48], s2[48];
  snprintf(what, sizeof what, "%s %s, %s", ep_op_name(op), ep_shape_format(&sa, s1, sizeof s1),
           ep_shape_format(&sb, s2, sizeof s2));
  check_case(what, &c, 1e-6);
  free(a);
  free(b);
  free(y);
}

static void test_hand_values(void) {
  /* [2, 3] + [3]: each row gets the vector. */
  const float a[] = {1, 2, 3, 4, 5, 6}, b[] = {10, 20, 30};
  const float add[] = {11, 22, 33, 14, 25, 36};
  op_case c = {.op = EP_OP_ADD, .n_inputs = 2, .n_outputs = 1};
  c.shape[0] = shp(2, 2, 3, 0, 0);
  c.shape[1] = shp(1, 3, 0, 0, 0);
  c.data[0] = a;
  c.data[1] = b;
  c.out_shape[0] = shp(2, 2, 3, 0, 0);
  c.expected[0] = add;
  check_case("add [2,3] + [3]", &c, 0);
  /* [2, 1] - [1, 3]: an outer difference. */
  const float col[] = {1, 2}, row[] = {10, 20, 30};
  const float sub[] = {-9, -19, -29, -8, -18, -28};
  c.op = EP_OP_SUB;
  c.shape[0] = shp(2, 2, 1, 0, 0);
  c.shape[1] = shp(2, 1, 3, 0, 0);
  c.data[0] = col;
  c.data[1] = row;
  c.expected[0] = sub;
  check_case("sub [2,1] - [1,3]", &c, 0);
  /* Scalar (rank 0) divisor. */
  const float two[] = {2}, half[] = {0.5f, 1, 1.5f, 2, 2.5f, 3};
  c.op = EP_OP_DIV;
  c.shape[0] = shp(2, 2, 3, 0, 0);
  c.shape[1] = shp(0, 0, 0, 0, 0);
  c.data[0] = a;
  c.data[1] = two;
  c.constant[1] = true;
  c.expected[0] = half;
  check_case("div [2,3] / scalar", &c, 0);
  /* Add with a fused relu. */
  const float neg[] = {-1, 2, -3, 4, -5, 6}, zero3[] = {0, 0, 0};
  const float relu[] = {0, 2, 0, 4, 0, 6};
  c.op = EP_OP_ADD;
  c.attrs.act = EP_ACT_RELU;
  c.shape[1] = shp(1, 3, 0, 0, 0);
  c.data[0] = neg;
  c.data[1] = zero3;
  c.expected[0] = relu;
  check_case("add + relu, broadcast", &c, 0);
}

static void test_shapes(void) {
  const ep_op ops[] = {EP_OP_ADD, EP_OP_SUB, EP_OP_MUL, EP_OP_DIV};
  for (int k = 0; k < 4; k++) {
    ep_op op = ops[k];
    check_broadcast(op, shp(3, 2, 3, 4, 0), shp(2, 3, 1, 0, 0), shp(3, 2, 3, 4, 0), false);
    check_broadcast(op, shp(1, 1, 0, 0, 0), shp(2, 2, 3, 0, 0), shp(2, 2, 3, 0, 0), false);
    check_broadcast(op, shp(2, 2, 3, 0, 0), shp(1, 1, 0, 0, 0), shp(2, 2, 3, 0, 0), true);
    check_broadcast(op, shp(3, 2, 3, 4, 0), shp(3, 2, 3, 4, 0), shp(3, 2, 3, 4, 0), false);
    check_broadcast(op, shp(4, 1, 16, 7, 7), shp(3, 16, 1, 1, 0), shp(4, 1, 16, 7, 7), true);
    check_broadcast(op, shp(3, 2, 1, 5, 0), shp(2, 3, 1, 0, 0), shp(3, 2, 3, 5, 0), false);
    check_broadcast(op, shp(4, 3, 1, 4, 1), shp(4, 1, 5, 1, 6), shp(4, 3, 5, 4, 6), false);
  }
  /* Large enough to be split over both threads, in rows and in chunks. */
  check_broadcast(EP_OP_MUL, shp(3, 64, 33, 17, 0), shp(2, 33, 1, 0, 0), shp(3, 64, 33, 17, 0),
                  true);
  check_broadcast(EP_OP_ADD, shp(1, 40000, 0, 0, 0), shp(1, 40000, 0, 0, 0), shp(1, 40000, 0, 0, 0),
                  false);
  check_broadcast(EP_OP_SUB, shp(2, 50000, 1, 0, 0), shp(1, 1, 0, 0, 0), shp(2, 50000, 1, 0, 0),
                  false);
}

static void test_errors(void) {
  const float a[6] = {0}, b[4] = {0};
  op_case c = {.op = EP_OP_MUL, .n_inputs = 2, .n_outputs = 1};
  c.shape[0] = shp(2, 2, 3, 0, 0);
  c.shape[1] = shp(1, 4, 0, 0, 0);
  c.data[0] = a;
  c.data[1] = b;
  const char* msg = case_error(&c);
  EP_CHECK_MSG(contains(msg, "node") && contains(msg, "Mul") && contains(msg, "broadcast") &&
                   contains(msg, "2x3"),
               "%s", msg);
}

int main(void) {
  test_hand_values();
  test_shapes();
  test_errors();
  return ep_test_finish();
}
