/* cmocka tests for the tensor core: values checked by hand or against a
 * naive reference, including views of views, broadcasting edge cases, empty
 * tensors, refcounting and every matmul layout. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "test_util.h"

#include "bundle/bundle.h"

static double at(const br_tensor *t, int64_t i, int64_t j) { return br_tensor_get2(t, i, j); }

static double at1(const br_tensor *t, int64_t i) {
  double v;
  assert_int_equal(br_tensor_get(t, &i, &v), BR_OK);
  return v;
}

/* ---- construction and access ---- */

static void zeros_full_eye_have_expected_values(void **state) {
  (void)state;
  int64_t shape[2] = {2, 3};
  br_tensor *z = NULL, *f = NULL, *e = NULL;
  assert_int_equal(br_tensor_zeros(&z, 2, shape), BR_OK);
  assert_int_equal(br_tensor_full(&f, 2, shape, 2.5), BR_OK);
  assert_int_equal(br_tensor_eye(&e, 3, 2), BR_OK);
  assert_int_equal(br_tensor_numel(z), 6);
  assert_double_equal(at(z, 1, 2), 0.0, 0);
  assert_double_equal(at(f, 1, 2), 2.5, 0);
  assert_double_equal(at(e, 0, 0), 1.0, 0);
  assert_double_equal(at(e, 1, 1), 1.0, 0);
  assert_double_equal(at(e, 2, 0), 0.0, 0);
  assert_double_equal(at(e, 2, 1), 0.0, 0);
  assert_true(((uintptr_t)br_tensor_data(z) % 64) == 0);
  br_tensor_free(z);
  br_tensor_free(f);
  br_tensor_free(e);
}

static void arange_excludes_stop_and_linspace_includes_both_ends(void **state) {
  (void)state;
  br_tensor *a = NULL, *b = NULL, *c = NULL, *l = NULL;
  assert_int_equal(br_tensor_arange(&a, 0, 5, 1), BR_OK);
  assert_int_equal(br_tensor_numel(a), 5);
  assert_double_equal(at1(a, 4), 4.0, 0);
  assert_int_equal(br_tensor_arange(&b, 1, 2, 0.25), BR_OK);
  assert_int_equal(br_tensor_numel(b), 4); /* 1, 1.25, 1.5, 1.75 */
  assert_int_equal(br_tensor_arange(&c, 5, 0, -2), BR_OK);
  assert_int_equal(br_tensor_numel(c), 3); /* 5, 3, 1 */
  assert_double_equal(at1(c, 2), 1.0, 0);
  assert_int_equal(br_tensor_linspace(&l, 0, 1, 5), BR_OK);
  assert_double_equal(at1(l, 1), 0.25, 1e-15);
  assert_double_equal(at1(l, 4), 1.0, 0);
  br_tensor *bad = NULL;
  assert_int_equal(br_tensor_arange(&bad, 0, 1, 0), BR_ERR_ARG);
  assert_null(bad);
  br_tensor_free(a);
  br_tensor_free(b);
  br_tensor_free(c);
  br_tensor_free(l);
}

static void get_set_check_bounds_and_name_the_dimension(void **state) {
  (void)state;
  int64_t shape[2] = {3, 4}, idx[2] = {2, 3}, bad[2] = {3, 0};
  br_tensor *t = NULL;
  assert_int_equal(br_tensor_zeros(&t, 2, shape), BR_OK);
  assert_int_equal(br_tensor_set(t, idx, 7.0), BR_OK);
  double v = 0;
  assert_int_equal(br_tensor_get(t, idx, &v), BR_OK);
  assert_double_equal(v, 7.0, 0);
  assert_int_equal(br_tensor_get(t, bad, &v), BR_ERR_INDEX);
  assert_string_equal(br_last_error(), "get: index 3 out of range for dimension 1 of size 3");
  br_tensor_free(t);
}

static void negative_and_huge_shapes_are_rejected(void **state) {
  (void)state;
  int64_t neg[2] = {2, -1}, huge[3] = {1 << 20, 1 << 20, 1 << 20};
  br_tensor *t = NULL;
  assert_int_equal(br_tensor_zeros(&t, 2, neg), BR_ERR_ARG);
  assert_int_equal(br_tensor_zeros(&t, 3, huge), BR_ERR_NOMEM);
  assert_int_equal(br_tensor_zeros(&t, 9, neg), BR_ERR_ARG);
  assert_null(t);
}

static void empty_tensors_are_valid_everywhere(void **state) {
  (void)state;
  int64_t shape[2] = {0, 3};
  br_tensor *e = NULL, *s = NULL, *r = NULL, *c = NULL;
  assert_int_equal(br_tensor_zeros(&e, 2, shape), BR_OK);
  assert_int_equal(br_tensor_numel(e), 0);
  assert_int_equal(br_tensor_binary_scalar(&s, BR_OP_ADD, e, 1.0, BR_SCALAR_RIGHT), BR_OK);
  assert_int_equal(br_tensor_numel(s), 0);
  double sum = -1;
  assert_int_equal(br_tensor_reduce_all(&sum, BR_REDUCE_SUM, e, 0), BR_OK);
  assert_double_equal(sum, 0.0, 0);
  assert_int_equal(br_tensor_reduce_all(&sum, BR_REDUCE_MEAN, e, 0), BR_ERR_SHAPE);
  assert_int_equal(br_tensor_reduce_dim(&r, BR_REDUCE_SUM, e, 0, 0, 0), BR_OK);
  assert_int_equal(br_tensor_numel(r), 3); /* column sums of no rows */
  assert_double_equal(at1(r, 2), 0.0, 0);
  /* (0x3) @ (3x0) is 0x0; (3x0) @ (0x2) is a 3x2 of zeros. */
  int64_t s30[2] = {3, 0}, s02[2] = {0, 2};
  br_tensor *a = NULL, *b = NULL;
  assert_int_equal(br_tensor_zeros(&a, 2, s30), BR_OK);
  assert_int_equal(br_tensor_zeros(&b, 2, s02), BR_OK);
  assert_int_equal(br_tensor_matmul(&c, a, b), BR_OK);
  assert_int_equal(br_tensor_shape(c)[0], 3);
  assert_double_equal(at(c, 2, 1), 0.0, 0);
  br_tensor_free(e);
  br_tensor_free(s);
  br_tensor_free(r);
  br_tensor_free(c);
  br_tensor_free(a);
  br_tensor_free(b);
}

/* ---- views ---- */

static void views_of_views_share_storage_and_outlive_the_source(void **state) {
  (void)state;
  br_tensor *a = NULL, *n = NULL, *sel = NULL, *tr = NULL;
  double data[12] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
  a = test_matrix(3, 4, data);
  assert_int_equal(br_tensor_narrow(&n, a, 1, 1, 2), BR_OK);     /* cols 1..2 */
  assert_int_equal(br_tensor_transpose(&tr, n, 0, 1), BR_OK);    /* 2x3 */
  assert_int_equal(br_tensor_select(&sel, tr, 0, 1), BR_OK);     /* col 2 of a */
  br_tensor_free(a); /* the views keep the storage alive */
  assert_int_equal(br_tensor_ndim(sel), 1);
  assert_double_equal(at1(sel, 0), 2.0, 0);
  assert_double_equal(at1(sel, 2), 10.0, 0);
  int64_t i = 1;
  assert_int_equal(br_tensor_set(sel, &i, -1.0), BR_OK);
  assert_double_equal(at(n, 1, 1), -1.0, 0); /* written through */
  assert_false(br_tensor_is_contiguous(tr));
  br_tensor_free(n);
  br_tensor_free(tr);
  br_tensor_free(sel);
}

static void slice_with_step_and_reshape_copy_of_noncontiguous(void **state) {
  (void)state;
  br_tensor *a = NULL, *s = NULL, *r = NULL, *v = NULL;
  assert_int_equal(br_tensor_arange(&a, 0, 10, 1), BR_OK);
  assert_int_equal(br_tensor_slice(&s, a, 0, 1, 10, 3), BR_OK); /* 1, 4, 7 */
  assert_int_equal(br_tensor_numel(s), 3);
  assert_double_equal(at1(s, 2), 7.0, 0);
  int64_t shape[2] = {3, 1};
  assert_int_equal(br_tensor_reshape(&r, s, 2, shape), BR_OK); /* copy */
  assert_true(br_tensor_data(r) != br_tensor_data(s));
  int64_t infer[2] = {-1, 5};
  assert_int_equal(br_tensor_reshape(&v, a, 2, infer), BR_OK); /* view */
  assert_int_equal(br_tensor_shape(v)[0], 2);
  assert_ptr_equal(br_tensor_data(v), br_tensor_data(a));
  int64_t bad[2] = {3, 3};
  br_tensor *x = NULL;
  assert_int_equal(br_tensor_reshape(&x, a, 2, bad), BR_ERR_SHAPE);
  assert_string_equal(br_last_error(), "reshape: cannot view {10} (10 elements) as {3,3}");
  br_tensor_free(a);
  br_tensor_free(s);
  br_tensor_free(r);
  br_tensor_free(v);
}

static void copy_broadcasts_and_survives_overlap(void **state) {
  (void)state;
  double d[6] = {1, 2, 3, 4, 5, 6};
  br_tensor *a = test_matrix(2, 3, d), *row = NULL, *t = NULL;
  assert_int_equal(br_tensor_select(&row, a, 0, 0), BR_OK); /* {1,2,3}, aliases a */
  assert_int_equal(br_tensor_copy(a, row), BR_OK);          /* both rows := first row */
  assert_double_equal(at(a, 1, 0), 1.0, 0);
  assert_double_equal(at(a, 1, 2), 3.0, 0);
  /* a[:, ::-shift] style overlap: copy a^T-ish view of a square onto itself */
  double sq[4] = {1, 2, 3, 4};
  br_tensor *m = test_matrix(2, 2, sq);
  assert_int_equal(br_tensor_transpose(&t, m, 0, 1), BR_OK);
  assert_int_equal(br_tensor_copy(m, t), BR_OK); /* m := m^T, needs a private read copy */
  assert_double_equal(at(m, 0, 1), 3.0, 0);
  assert_double_equal(at(m, 1, 0), 2.0, 0);
  br_tensor_free(a);
  br_tensor_free(row);
  br_tensor_free(t);
  br_tensor_free(m);
}

/* ---- elementwise ---- */

static void broadcasting_column_plus_row_gives_a_grid(void **state) {
  (void)state;
  double c[3] = {0, 10, 20}, r[4] = {1, 2, 3, 4};
  br_tensor *col = test_matrix(3, 1, c), *row = test_vector(4, r), *g = NULL;
  assert_int_equal(br_tensor_binary(&g, BR_OP_ADD, col, row), BR_OK);
  assert_int_equal(br_tensor_shape(g)[0], 3);
  assert_int_equal(br_tensor_shape(g)[1], 4);
  assert_double_equal(at(g, 2, 3), 24.0, 0);
  assert_double_equal(at(g, 1, 0), 11.0, 0);
  br_tensor_free(col);
  br_tensor_free(row);
  br_tensor_free(g);
}

static void incompatible_shapes_name_both(void **state) {
  (void)state;
  double d[6] = {0};
  br_tensor *a = test_matrix(2, 3, d), *b = test_vector(2, d), *r = NULL;
  assert_int_equal(br_tensor_binary(&r, BR_OP_MUL, a, b), BR_ERR_SHAPE);
  assert_string_equal(br_last_error(), "mul: shapes {2,3} and {2} do not broadcast");
  assert_null(r);
  br_tensor_free(a);
  br_tensor_free(b);
}

static void zero_d_and_size_one_dims_broadcast(void **state) {
  (void)state;
  br_tensor *s = NULL, *a = NULL, *r = NULL;
  double five = 5;
  assert_int_equal(br_tensor_from_data(&s, 0, NULL, &five), BR_OK);
  int64_t shape[3] = {2, 1, 3};
  assert_int_equal(br_tensor_full(&a, 3, shape, 2.0), BR_OK);
  assert_int_equal(br_tensor_binary(&r, BR_OP_POW, a, s), BR_OK); /* 2^5 */
  assert_int_equal(br_tensor_ndim(r), 3);
  assert_double_equal(br_tensor_data(r)[5], 32.0, 0);
  br_tensor_free(r);
  r = NULL;
  assert_int_equal(br_tensor_binary(&r, BR_OP_SUB, s, a), BR_OK); /* 5 - 2 */
  assert_double_equal(br_tensor_data(r)[0], 3.0, 0);
  br_tensor_free(s);
  br_tensor_free(a);
  br_tensor_free(r);
}

static void scalar_side_matters_for_sub_and_div(void **state) {
  (void)state;
  double d[2] = {2, 4};
  br_tensor *a = test_vector(2, d), *r1 = NULL, *r2 = NULL;
  assert_int_equal(br_tensor_binary_scalar(&r1, BR_OP_DIV, a, 8, BR_SCALAR_LEFT), BR_OK);
  assert_int_equal(br_tensor_binary_scalar(&r2, BR_OP_SUB, a, 1, BR_SCALAR_RIGHT), BR_OK);
  assert_double_equal(at1(r1, 1), 2.0, 0); /* 8 / 4 */
  assert_double_equal(at1(r2, 0), 1.0, 0); /* 2 - 1 */
  br_tensor_free(a);
  br_tensor_free(r1);
  br_tensor_free(r2);
}

static void comparisons_give_masks_and_in_place_ops_work(void **state) {
  (void)state;
  double d[4] = {1, 5, 3, 7}, e[4] = {2, 5, 1, 9};
  br_tensor *a = test_vector(4, d), *b = test_vector(4, e), *m = NULL;
  assert_int_equal(br_tensor_binary(&m, BR_OP_LT, a, b), BR_OK);
  assert_double_equal(at1(m, 0), 1.0, 0);
  assert_double_equal(at1(m, 1), 0.0, 0);
  assert_double_equal(at1(m, 3), 1.0, 0);
  assert_int_equal(br_tensor_binary_into(a, BR_OP_ADD, a, b), BR_OK); /* a += b */
  assert_double_equal(at1(a, 3), 16.0, 0);
  br_tensor_free(a);
  br_tensor_free(b);
  br_tensor_free(m);
}

static void unary_ops_match_libm_and_sigmoid_is_stable(void **state) {
  (void)state;
  double d[4] = {-1000, -1, 0, 800};
  br_tensor *a = test_vector(4, d), *s = NULL, *r = NULL, *c = NULL, *t = NULL;
  assert_int_equal(br_tensor_unary(&s, BR_OP_SIGMOID, a), BR_OK);
  assert_double_equal(at1(s, 0), 0.0, 1e-300);
  assert_double_equal(at1(s, 1), 1.0 / (1.0 + exp(1.0)), 1e-15);
  assert_double_equal(at1(s, 2), 0.5, 0);
  assert_double_equal(at1(s, 3), 1.0, 0);
  assert_false(isnan(at1(s, 0)));
  assert_int_equal(br_tensor_unary(&r, BR_OP_RELU, a), BR_OK);
  assert_double_equal(at1(r, 1), 0.0, 0);
  assert_double_equal(at1(r, 3), 800.0, 0);
  assert_int_equal(br_tensor_unary(&t, BR_OP_TANH, a), BR_OK);
  assert_double_equal(at1(t, 1), tanh(-1.0), 1e-15);
  assert_int_equal(br_tensor_clamp(&c, a, -1, 1), BR_OK);
  assert_double_equal(at1(c, 0), -1.0, 0);
  assert_double_equal(at1(c, 3), 1.0, 0);
  br_tensor *bad = NULL;
  assert_int_equal(br_tensor_clamp(&bad, a, 1, -1), BR_ERR_ARG);
  br_tensor_free(a);
  br_tensor_free(s);
  br_tensor_free(r);
  br_tensor_free(t);
  br_tensor_free(c);
}

/* ---- reductions ---- */

static void reductions_along_each_dim_match_hand_values(void **state) {
  (void)state;
  double d[6] = {1, 2, 3, 4, 5, 6};
  br_tensor *a = test_matrix(2, 3, d), *s0 = NULL, *s1 = NULL, *m = NULL, *am = NULL, *k = NULL;
  assert_int_equal(br_tensor_reduce_dim(&s0, BR_REDUCE_SUM, a, 0, 0, 0), BR_OK);
  assert_double_equal(at1(s0, 2), 9.0, 0);
  assert_int_equal(br_tensor_reduce_dim(&s1, BR_REDUCE_MEAN, a, 1, 0, 0), BR_OK);
  assert_double_equal(at1(s1, 1), 5.0, 0);
  assert_int_equal(br_tensor_reduce_dim(&m, BR_REDUCE_MAX, a, 0, 0, 0), BR_OK);
  assert_double_equal(at1(m, 0), 4.0, 0);
  assert_int_equal(br_tensor_reduce_dim(&am, BR_REDUCE_ARGMIN, a, 1, 0, 0), BR_OK);
  assert_double_equal(at1(am, 1), 0.0, 0);
  assert_int_equal(br_tensor_reduce_dim(&k, BR_REDUCE_SUM, a, 1, 1, 0), BR_OK);
  assert_int_equal(br_tensor_ndim(k), 2);
  assert_int_equal(br_tensor_shape(k)[1], 1);
  assert_double_equal(at(k, 1, 0), 15.0, 0);
  double v;
  assert_int_equal(br_tensor_reduce_all(&v, BR_REDUCE_VAR, a, 0), BR_OK);
  assert_double_equal(v, 17.5 / 6.0, 1e-14);
  assert_int_equal(br_tensor_reduce_all(&v, BR_REDUCE_STD, a, 1), BR_OK);
  assert_double_equal(v, sqrt(17.5 / 5.0), 1e-14);
  assert_int_equal(br_tensor_reduce_all(&v, BR_REDUCE_ARGMAX, a, 0), BR_OK);
  assert_double_equal(v, 5.0, 0);
  br_tensor_free(a);
  br_tensor_free(s0);
  br_tensor_free(s1);
  br_tensor_free(m);
  br_tensor_free(am);
  br_tensor_free(k);
}

static void reductions_of_transposed_views_and_nan(void **state) {
  (void)state;
  double d[6] = {1, 2, 3, 4, 5, 6};
  br_tensor *a = test_matrix(2, 3, d), *t = NULL, *s = NULL;
  assert_int_equal(br_tensor_transpose(&t, a, 0, 1), BR_OK);
  assert_int_equal(br_tensor_reduce_dim(&s, BR_REDUCE_SUM, t, 1, 0, 0), BR_OK);
  assert_double_equal(at1(s, 0), 5.0, 0); /* column 0 of a */
  double v;
  assert_int_equal(br_tensor_reduce_all(&v, BR_REDUCE_ARGMAX, t, 0), BR_OK);
  assert_double_equal(v, 5.0, 0); /* t is {{1,4},{2,5},{3,6}}: 6 at flat 5 */
  int64_t idx[2] = {0, 1};
  assert_int_equal(br_tensor_set(a, idx, NAN), BR_OK);
  assert_int_equal(br_tensor_reduce_all(&v, BR_REDUCE_MAX, a, 0), BR_OK);
  assert_true(isnan(v));
  assert_int_equal(br_tensor_reduce_all(&v, BR_REDUCE_VAR, a, 6), BR_ERR_SHAPE);
  br_tensor_free(a);
  br_tensor_free(t);
  br_tensor_free(s);
}

static void long_sums_are_accurate(void **state) {
  (void)state;
  int64_t n = 1000001;
  br_tensor *a = NULL;
  assert_int_equal(br_tensor_arange(&a, 0, (double)n, 1), BR_OK);
  double v;
  assert_int_equal(br_tensor_reduce_all(&v, BR_REDUCE_SUM, a, 0), BR_OK);
  assert_double_equal(v, (double)n * (double)(n - 1) / 2.0, 0);
  br_tensor_free(a);
}

/* ---- indexing ---- */

static void index_select_gathers_rows_and_columns(void **state) {
  (void)state;
  double d[6] = {1, 2, 3, 4, 5, 6};
  br_tensor *a = test_matrix(3, 2, d), *r = NULL, *c = NULL;
  int64_t rows[4] = {2, 0, 2, 1}, cols[1] = {1};
  assert_int_equal(br_tensor_index_select(&r, a, 0, rows, 4), BR_OK);
  assert_int_equal(br_tensor_shape(r)[0], 4);
  assert_double_equal(at(r, 0, 1), 6.0, 0);
  assert_double_equal(at(r, 3, 0), 3.0, 0);
  assert_int_equal(br_tensor_index_select(&c, a, 1, cols, 1), BR_OK);
  assert_double_equal(at(c, 2, 0), 6.0, 0);
  int64_t bad[1] = {3};
  br_tensor *x = NULL;
  assert_int_equal(br_tensor_index_select(&x, a, 0, bad, 1), BR_ERR_INDEX);
  br_tensor_free(a);
  br_tensor_free(r);
  br_tensor_free(c);
}

static void masked_select_by_elements_and_by_rows(void **state) {
  (void)state;
  double d[6] = {1, 2, 3, 4, 5, 6}, m[6] = {0, 1, 0, 1, 1, 0}, rm[3] = {1, 0, 1};
  br_tensor *a = test_matrix(3, 2, d), *mk = test_matrix(3, 2, m), *rmk = test_vector(3, rm);
  br_tensor *e = NULL, *r = NULL, *x = NULL;
  assert_int_equal(br_tensor_masked_select(&e, a, mk), BR_OK);
  assert_int_equal(br_tensor_numel(e), 3);
  assert_double_equal(at1(e, 2), 5.0, 0);
  assert_int_equal(br_tensor_masked_select(&r, a, rmk), BR_OK);
  assert_int_equal(br_tensor_shape(r)[0], 2);
  assert_double_equal(at(r, 1, 1), 6.0, 0);
  br_tensor *wrong = test_vector(2, rm);
  assert_int_equal(br_tensor_masked_select(&x, a, wrong), BR_ERR_SHAPE);
  br_tensor_free(a);
  br_tensor_free(mk);
  br_tensor_free(rmk);
  br_tensor_free(e);
  br_tensor_free(r);
  br_tensor_free(wrong);
}

/* ---- products ---- */

static void naive_matmul(const br_tensor *a, const br_tensor *b, double *out) {
  int64_t m = br_tensor_shape(a)[0], k = br_tensor_shape(a)[1], n = br_tensor_shape(b)[1];
  for (int64_t i = 0; i < m; i++)
    for (int64_t j = 0; j < n; j++) {
      double s = 0;
      for (int64_t p = 0; p < k; p++) s += at(a, i, p) * at(b, p, j);
      out[i * n + j] = s;
    }
}

static void matmul_of_transposed_view_matches_hand_result(void **state) {
  (void)state;
  double d[6] = {1, 2, 3, 4, 5, 6};
  br_tensor *a = test_matrix(2, 3, d), *at_ = NULL, *c = NULL;
  assert_int_equal(br_tensor_transpose(&at_, a, 0, 1), BR_OK);
  assert_int_equal(br_tensor_matmul(&c, a, at_), BR_OK);
  assert_double_equal(at(c, 0, 1), 1 * 4 + 2 * 5 + 3 * 6, 0);
  assert_double_equal(at(c, 1, 1), 16 + 25 + 36, 0);
  br_tensor_free(a);
  br_tensor_free(at_);
  br_tensor_free(c);
}

/* Every combination of plain, transposed, row-sliced and strided (copied)
 * operands against the naive product. */
static void matmul_matches_naive_for_all_layouts(void **state) {
  (void)state;
  br_rng rng;
  br_rng_seed(&rng, 7);
  int64_t sa[2] = {9, 14}, sb[2] = {12, 10};
  br_tensor *A = NULL, *B = NULL;
  assert_int_equal(br_tensor_randn(&A, 2, sa, &rng), BR_OK);
  assert_int_equal(br_tensor_randn(&B, 2, sb, &rng), BR_OK);
  /* a: 5x6 operands from A in four layouts */
  br_tensor *a[4] = {NULL}, *b[4] = {NULL}, *tmp = NULL, *tmp2 = NULL;
  assert_int_equal(br_tensor_narrow(&tmp, A, 0, 1, 5), BR_OK);
  assert_int_equal(br_tensor_narrow(&a[0], tmp, 1, 2, 6), BR_OK); /* row-major, ld 14 */
  br_tensor_free(tmp);
  assert_int_equal(br_tensor_narrow(&tmp, A, 0, 0, 6), BR_OK);
  assert_int_equal(br_tensor_narrow(&tmp2, tmp, 1, 0, 5), BR_OK);
  assert_int_equal(br_tensor_transpose(&a[1], tmp2, 0, 1), BR_OK); /* transposed view */
  br_tensor_free(tmp);
  br_tensor_free(tmp2);
  assert_int_equal(br_tensor_slice(&tmp, A, 0, 0, 9, 2), BR_OK); /* rows 0,2,4,6,8 */
  assert_int_equal(br_tensor_slice(&a[2], tmp, 1, 0, 12, 2), BR_OK); /* both strides > 1 */
  br_tensor_free(tmp);
  assert_int_equal(br_tensor_narrow(&tmp, A, 1, 0, 6), BR_OK);
  assert_int_equal(br_tensor_narrow(&a[3], tmp, 0, 0, 5), BR_OK);
  br_tensor_free(tmp);
  /* b: 6x4 operands from B */
  assert_int_equal(br_tensor_narrow(&tmp, B, 0, 0, 6), BR_OK);
  assert_int_equal(br_tensor_narrow(&b[0], tmp, 1, 3, 4), BR_OK);
  br_tensor_free(tmp);
  assert_int_equal(br_tensor_narrow(&tmp, B, 0, 0, 4), BR_OK);
  assert_int_equal(br_tensor_narrow(&tmp2, tmp, 1, 0, 6), BR_OK);
  assert_int_equal(br_tensor_transpose(&b[1], tmp2, 0, 1), BR_OK);
  br_tensor_free(tmp);
  br_tensor_free(tmp2);
  assert_int_equal(br_tensor_slice(&tmp, B, 0, 0, 12, 2), BR_OK);
  assert_int_equal(br_tensor_slice(&b[2], tmp, 1, 1, 9, 2), BR_OK);
  br_tensor_free(tmp);
  assert_int_equal(br_tensor_clone(&b[3], b[0]), BR_OK);

  double expect[5 * 4];
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 4; j++) {
      assert_int_equal(br_tensor_shape(a[i])[0], 5);
      assert_int_equal(br_tensor_shape(a[i])[1], 6);
      assert_int_equal(br_tensor_shape(b[j])[1], 4);
      br_tensor *c = NULL;
      assert_int_equal(br_tensor_matmul(&c, a[i], b[j]), BR_OK);
      naive_matmul(a[i], b[j], expect);
      for (int p = 0; p < 20; p++)
        assert_double_equal(br_tensor_data(c)[p], expect[p], 1e-12);
      /* matrix x vector and vector x matrix on a column / row of b, a */
      br_tensor *col = NULL, *mv = NULL, *row = NULL, *vm = NULL;
      assert_int_equal(br_tensor_select(&col, b[j], 1, 2), BR_OK);
      assert_int_equal(br_tensor_matmul(&mv, a[i], col), BR_OK);
      for (int r = 0; r < 5; r++) assert_double_equal(at1(mv, r), expect[r * 4 + 2], 1e-12);
      assert_int_equal(br_tensor_select(&row, a[i], 0, 3), BR_OK);
      assert_int_equal(br_tensor_matmul(&vm, row, b[j]), BR_OK);
      for (int q = 0; q < 4; q++) assert_double_equal(at1(vm, q), expect[3 * 4 + q], 1e-12);
      br_tensor_free(c);
      br_tensor_free(col);
      br_tensor_free(mv);
      br_tensor_free(row);
      br_tensor_free(vm);
    }
  for (int i = 0; i < 4; i++) {
    br_tensor_free(a[i]);
    br_tensor_free(b[i]);
  }
  br_tensor_free(A);
  br_tensor_free(B);
}

static void matmul_shape_mismatch_names_both_shapes(void **state) {
  (void)state;
  int64_t s1[2] = {3, 4}, s2[2] = {5, 2};
  br_tensor *a = NULL, *b = NULL, *c = NULL;
  assert_int_equal(br_tensor_zeros(&a, 2, s1), BR_OK);
  assert_int_equal(br_tensor_zeros(&b, 2, s2), BR_OK);
  assert_int_equal(br_tensor_matmul(&c, a, b), BR_ERR_SHAPE);
  assert_string_equal(br_last_error(), "matmul: shapes {3,4} and {5,2} do not match");
  assert_null(c);
  br_tensor_free(a);
  br_tensor_free(b);
}

static void dot_and_outer_match_hand_values(void **state) {
  (void)state;
  double x[3] = {1, 2, 3}, y[3] = {4, 5, 6};
  br_tensor *a = test_vector(3, x), *b = test_vector(3, y), *o = NULL, *d0 = NULL, *s = NULL;
  double v;
  assert_int_equal(br_tensor_dot(&v, a, b), BR_OK);
  assert_double_equal(v, 32.0, 0);
  assert_int_equal(br_tensor_matmul(&d0, a, b), BR_OK);
  assert_int_equal(br_tensor_ndim(d0), 0);
  assert_double_equal(br_tensor_data(d0)[0], 32.0, 0);
  assert_int_equal(br_tensor_outer(&o, a, b), BR_OK);
  assert_double_equal(at(o, 2, 1), 15.0, 0);
  assert_int_equal(br_tensor_slice(&s, b, 0, 0, 3, 2), BR_OK); /* {4, 6} */
  assert_int_equal(br_tensor_dot(&v, a, s), BR_ERR_SHAPE);
  br_tensor_free(a);
  br_tensor_free(b);
  br_tensor_free(o);
  br_tensor_free(d0);
  br_tensor_free(s);
}

/* ---- formatting ---- */

static void format_prints_integers_and_truncates_long_dims(void **state) {
  (void)state;
  double d[4] = {1, 2, 3, 40};
  br_tensor *a = test_matrix(2, 2, d), *big = NULL;
  char *s = NULL;
  assert_int_equal(br_tensor_format(&s, a, 3), BR_OK);
  assert_string_equal(s, "bundle.Tensor {2,2}\n[[ 1  2]\n [ 3 40]]");
  br_free_out(s);
  assert_int_equal(br_tensor_arange(&big, 0, 100, 1), BR_OK);
  assert_int_equal(br_tensor_format(&s, big, 2), BR_OK);
  assert_string_equal(s, "bundle.Tensor {100}\n[ 0  1 ... 98 99]");
  br_free_out(s);
  br_tensor_free(a);
  br_tensor_free(big);
}

/* ---- storage cache ---- */

static void freed_large_storage_is_reused_and_can_be_released(void **state) {
  (void)state;
  int64_t shape[2] = {256, 256}; /* 512 KiB: large enough to be cached */
  br_tensor *a = NULL, *b = NULL;
  br_tensor_release_cache();
  assert_int_equal(br_tensor_full(&a, 2, shape, 3.0), BR_OK);
  double *first = br_tensor_data(a);
  br_tensor_free(a);
#if defined(__SANITIZE_ADDRESS__)
  assert_int_equal(br_tensor_cached_bytes(), 0); /* off under ASan */
#else
  assert_int_equal(br_tensor_cached_bytes(), 256 * 256 * 8);
  assert_int_equal(br_tensor_zeros(&b, 2, shape), BR_OK);
  assert_ptr_equal(br_tensor_data(b), first);          /* the same block again */
  assert_double_equal(br_tensor_data(b)[12345], 0.0, 0); /* and properly filled */
  assert_int_equal(br_tensor_cached_bytes(), 0);
  br_tensor_free(b);
#endif
  (void)first;
  (void)b;
  br_tensor_release_cache();
  assert_int_equal(br_tensor_cached_bytes(), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(zeros_full_eye_have_expected_values),
      cmocka_unit_test(arange_excludes_stop_and_linspace_includes_both_ends),
      cmocka_unit_test(get_set_check_bounds_and_name_the_dimension),
      cmocka_unit_test(negative_and_huge_shapes_are_rejected),
      cmocka_unit_test(empty_tensors_are_valid_everywhere),
      cmocka_unit_test(views_of_views_share_storage_and_outlive_the_source),
      cmocka_unit_test(slice_with_step_and_reshape_copy_of_noncontiguous),
      cmocka_unit_test(copy_broadcasts_and_survives_overlap),
      cmocka_unit_test(broadcasting_column_plus_row_gives_a_grid),
      cmocka_unit_test(incompatible_shapes_name_both),
      cmocka_unit_test(zero_d_and_size_one_dims_broadcast),
      cmocka_unit_test(scalar_side_matters_for_sub_and_div),
      cmocka_unit_test(comparisons_give_masks_and_in_place_ops_work),
      cmocka_unit_test(unary_ops_match_libm_and_sigmoid_is_stable),
      cmocka_unit_test(reductions_along_each_dim_match_hand_values),
      cmocka_unit_test(reductions_of_transposed_views_and_nan),
      cmocka_unit_test(long_sums_are_accurate),
      cmocka_unit_test(index_select_gathers_rows_and_columns),
      cmocka_unit_test(masked_select_by_elements_and_by_rows),
      cmocka_unit_test(matmul_of_transposed_view_matches_hand_result),
      cmocka_unit_test(matmul_matches_naive_for_all_layouts),
      cmocka_unit_test(matmul_shape_mismatch_names_both_shapes),
      cmocka_unit_test(dot_and_outer_match_hand_values),
      cmocka_unit_test(format_prints_integers_and_truncates_long_dims),
      cmocka_unit_test(freed_large_storage_is_reused_and_can_be_released),
  };
  return cmocka_run_group_tests_name("tensor", tests, NULL, NULL);
}
