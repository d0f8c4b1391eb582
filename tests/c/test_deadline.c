/* The per-thread deadline (bundle/deadline.h): each long loop of the core,
 * given an input that takes seconds (or, for the endless ones, would hit
 * no other limit for minutes), returns BR_ERR_CANCELLED shortly after a
 * small deadline, with a message naming what stopped. Leaks are the
 * sanitizer's and valgrind's to find (make sanitize, make valgrind): every
 * stopped call must free what it allocated. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "test_util.h"

/* A stopped call may finish the step it is in: a matmul tile (~0.1 s), a
 * mining node, an ALS row. A second covers that on a two-core machine
 * shared by several builds under ASan (half a second did not: mining and
 * beam search were seen stopping 0.6 and 1.8 s late there, at load 20);
 * every input here runs many seconds without a deadline. */
#define SLACK 1.0

static double t0, limit, slack = SLACK;

static void start(double seconds) {
  limit = seconds;
  br_deadline_set(seconds);
  t0 = br_clock_now();
}

/* The call returned BR_ERR_CANCELLED within the deadline plus SLACK, and
 * its message names `what`; the deadline is cleared for the next test. */
static void stopped(br_status s, const char *what) {
  double took = br_clock_now() - t0;
  br_deadline_clear();
  if (s != BR_ERR_CANCELLED) print_error("%s: status %d (%s)\n", what, (int)s, br_last_error());
  assert_int_equal(s, BR_ERR_CANCELLED);
  assert_int_equal(br_last_status(), BR_ERR_CANCELLED);
  if (took > limit + slack) print_error("%s: stopped after %.3f s, deadline %.3f s\n", what, took, limit);
  assert_true(took <= limit + slack);
  assert_true(took >= limit - 0.01);
  char want[64];
  snprintf(want, sizeof want, "%s stopped: the time limit passed after ", what);
  if (!strstr(br_last_error(), want)) print_error("message: %s\n", br_last_error());
  assert_non_null(strstr(br_last_error(), want));
}

/* A basket file of n lines; line k holds `per` items drawn from 0..nitems-1
 * (all of them when per == nitems). Returns a path to unlink. */
static char *basket_file(int64_t n, int nitems, int per, uint64_t seed) {
  static char path[64];
  snprintf(path, sizeof path, "/tmp/br_deadline_XXXXXX");
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  FILE *f = fdopen(fd, "w");
  assert_non_null(f);
  br_rng r;
  br_rng_seed(&r, seed);
  for (int64_t k = 0; k < n; k++) {
    for (int i = 0; i < per; i++)
      fprintf(f, "%s%d", i ? " " : "", per == nitems ? i : (int)br_rng_below(&r, (uint64_t)nitems));
    fputc('\n', f);
  }
  fclose(f);
  return path;
}

static br_baskets *read_baskets(int64_t n, int nitems, int per, uint64_t seed) {
  return test_read_baskets(basket_file(n, nitems, per, seed), 0);
}

static void api_and_message(void **state) {
  (void)state;
  assert_string_equal(br_status_str(BR_ERR_CANCELLED), "cancelled");
  assert_int_equal(br_deadline_passed(), 0); /* none set */
  br_deadline_set(-1);
  assert_true(br_deadline_get().at == 0);
  br_deadline_set(100);
  assert_int_equal(br_deadline_passed(), 0);
  br_deadline saved = br_deadline_get();
  br_deadline_set(1e-9);
  usleep(1000);
  assert_int_equal(br_deadline_passed(), 1);
  assert_int_equal(br_deadline_stop("mining", 1234567, "itemsets"), BR_ERR_CANCELLED);
  assert_non_null(strstr(br_last_error(), "mining stopped: the time limit passed after 0.0 s (1,234,567 itemsets so far)"));
  br_deadline_stop("x", 999, "y");
  assert_non_null(strstr(br_last_error(), "(999 y so far)"));
  br_deadline_stop("x", 0, NULL);
  assert_string_equal(br_last_error(), "x stopped: the time limit passed after 0.0 s");
  br_deadline_put(saved); /* nesting: the outer deadline comes back */
  assert_int_equal(br_deadline_passed(), 0);
  br_deadline_clear();
  assert_true(br_deadline_get().at == 0);
}

/* 200 baskets of 26 items from 30, mined down to a count of 1: tens of
 * millions of itemsets, which the itemset cap (raised here) would stop only
 * after many seconds. */
static void mining_stops(void **state) {
  (void)state;
  br_baskets *b = read_baskets(200, 30, 26, 1);
  br_mine_options o;
  br_mine_options_init(&o);
  o.min_count = 1;
  o.max_itemsets = INT64_MAX / 4;
  br_itemsets *s = NULL;
  start(0.2);
  br_status st = br_baskets_frequent(&s, b, &o);
  stopped(st, "mining");
  assert_null(s);
  /* closed itemsets take the other branch of the miner */
  o.closed = 1;
  start(0.2);
  stopped(br_baskets_frequent(&s, b, &o), "mining");
  assert_null(s);
  br_baskets_free(b);
}

/* Every subset of 18 items (2^18 itemsets, 4 baskets holding all of them),
 * split into rules with 9 items on the right: 25 million splits. */
static void rules_stop(void **state) {
  (void)state;
  br_baskets *b = read_baskets(4, 18, 18, 1);
  br_mine_options o;
  br_mine_options_init(&o);
  o.min_count = 1;
  br_itemsets *s = NULL;
  assert_int_equal(br_baskets_frequent(&s, b, &o), BR_OK);
  assert_int_equal(br_itemsets_count(s), (1 << 18) - 1);
  br_rule_options ro;
  br_rule_options_init(&ro);
  ro.rhs_size = 9;
  ro.min_lift = 2; /* every lift is 1: no rule is kept, only the walk costs */
  br_rules *r = NULL;
  start(0.2);
  stopped(br_itemsets_rules(&r, s, &ro), "rules");
  assert_null(r);
  br_itemsets_free(s);
  br_baskets_free(b);
}

/* A caller's objective with no bound, so exact search cannot prune. */
static double sum_of_ids(void *ctx, const int32_t *items, int n, int *fail) {
  (void)ctx;
  (void)fail;
  double v = 0;
  for (int i = 0; i < n; i++) v += items[i];
  return v;
}

/* 300 items all bought together: C(300, 4) = 330 million bundles for
 * exact search, and budgets for the heuristics far past a few seconds
 * (beam: 5000 wide, sizes 3 to 8, 1.5 million extensions a level;
 * greedy: a walk from every pair). */
static void every_search_method_stops(void **state) {
  (void)state;
  enum { N = 300 };
  br_baskets *b = read_baskets(3, N, N, 1);
  char *labels[N];
  const char *cl[N];
  double price[N], cost[N];
  for (int i = 0; i < N; i++) {
    char txt[16];
    snprintf(txt, sizeof txt, "%d", i);
    labels[i] = strdup(txt);
    cl[i] = labels[i];
    price[i] = 2 + i % 7;
    cost[i] = 1;
  }
  br_catalog *cat = NULL;
  assert_int_equal(br_catalog_new(&cat, N, cl, NULL, price, cost, NULL, NULL), BR_OK);
  br_bundle_stats *st = NULL;
  assert_int_equal(br_bundle_stats_new(&st, cat, b), BR_OK);
  for (int m = 0; m < BR_METHOD_COUNT; m++) {
    br_search_spec sp;
    br_search_spec_init(&sp);
    sp.method = (br_search_method)m;
    sp.objective = BR_OBJ_CUSTOM;
    sp.custom = sum_of_ids;
    sp.max_size = m == BR_METHOD_EXACT ? 4 : 8;
    sp.max_evaluations = INT64_MAX / 4;
    sp.beam_width = 5000;
    if (m == BR_METHOD_GREEDY) sp.top = 1000000; /* a greedy walk from each of the 44850 pairs */
    sp.iterations = (int64_t)1 << 40;
    sp.population = 2000;
    sp.generations = 1000000;
    br_search_result *res = NULL;
    print_message("method %s\n", br_search_method_name(sp.method));
    start(0.2);
    stopped(br_search_pool(&res, st, NULL, 0, &sp), "search");
    assert_null(res);
  }
  br_bundle_stats_free(st);
  br_catalog_free(cat);
  br_baskets_free(b);
  for (int i = 0; i < N; i++) free(labels[i]);
}

/* 20000 x 4000 with 60 entries a row, 64 factors, 1000 sweeps. */
static void als_stops(void **state) {
  (void)state;
  int64_t rows = 20000, cols = 4000, per = 60;
  int64_t *off = malloc((size_t)(rows + 1) * sizeof *off);
  int32_t *idx = malloc((size_t)(rows * per) * sizeof *idx);
  assert_true(off && idx);
  for (int64_t u = 0; u <= rows; u++) off[u] = u * per;
  for (int64_t u = 0; u < rows; u++) /* distinct columns: a stride coprime to cols */
    for (int64_t p = 0; p < per; p++) idx[u * per + p] = (int32_t)((u * 7 + p * 61) % cols);
  br_als_options o;
  br_als_options_init(&o);
  o.factors = 64;
  o.iterations = 1000;
  double *U = NULL, *V = NULL;
  start(0.2);
  stopped(br_als_fit(&U, &V, rows, cols, off, idx, NULL, &o), "als");
  assert_null(U);
  assert_null(V);
  free(off);
  free(idx);
}

/* A backtest of 30000 bundles (each touching ~5000 baskets, then 450
 * million pairs for diversity); bandit replay offers 3000 arms to each of
 * 100000 baskets. */
static void backtest_and_bandit_stop(void **state) {
  (void)state;
  br_baskets *b = read_baskets(100000, 500, 8, 2);
  int64_t nb = 30000;
  int32_t *items = malloc((size_t)(nb * 3) * sizeof *items);
  int64_t *off = malloc((size_t)(nb + 1) * sizeof *off);
  assert_true(items && off);
  for (int64_t k = 0; k <= nb; k++) off[k] = 3 * k;
  for (int64_t k = 0; k < nb * 3; k++) items[k] = (int32_t)((k * 37) % br_baskets_nitems(b));
  br_backtest out;
  start(0.2);
  stopped(br_eval_backtest(&out, NULL, b, items, off, nb, NULL, NULL), "backtest");

  int32_t narms = 3000;
  br_bandit_arm *arms = calloc((size_t)narms, sizeof *arms);
  assert_non_null(arms);
  for (int32_t a = 0; a < narms; a++) arms[a].value = 1;
  br_rng rng;
  br_rng_seed(&rng, 3);
  double reward = 0;
  start(0.2);
  stopped(br_bandit_replay(arms, narms, items, off, b, 0, br_baskets_size(b), BR_BANDIT_UCB, &rng, &reward),
          "bandit replay");
  assert_true(reward == 0); /* nothing added for a stopped replay */
  free(arms);
  free(items);
  free(off);
  br_baskets_free(b);
}

/* A 60 MB CSV, plain and gzip'd, read with a deadline too short for
 * either; the plain one goes through the parallel parser's threads. */
static void csv_and_gzip_reads_stop(void **state) {
  (void)state;
  char path[64], gzpath[80];
  snprintf(path, sizeof path, "/tmp/br_deadline_XXXXXX");
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  FILE *f = fdopen(fd, "w");
  snprintf(gzpath, sizeof gzpath, "%s.gz", path);
  gzFile gz = gzopen(gzpath, "wb1");
  assert_true(f && gz);
  const char *head = "order,item,qty,price\n";
  fputs(head, f);
  gzputs(gz, head);
  char line[96];
  for (int64_t k = 0; k < 2500000; k++) {
    int n = snprintf(line, sizeof line, "%lld,item%lld,%lld,%lld.%02lld\n", (long long)(k / 4), (long long)(k % 977),
                     (long long)(k % 5 + 1), (long long)(k % 300), (long long)(k % 100));
    fwrite(line, 1, (size_t)n, f);
    gzwrite(gz, line, (unsigned)n);
  }
  fclose(f);
  gzclose(gz);
  br_frame *fr = NULL;
  start(0.02);
  stopped(br_frame_read_csv(&fr, path, NULL, NULL), "read_csv");
  assert_null(fr);
  start(0.02);
  stopped(br_frame_read_csv(&fr, gzpath, NULL, NULL), "read_csv");
  assert_null(fr);
  /* and without a deadline the same file reads */
  assert_int_equal(br_frame_read_csv(&fr, path, NULL, NULL), BR_OK);
  assert_int_equal(br_frame_nrows(fr), 2500000);
  br_frame_free(fr);
  unlink(path);
  unlink(gzpath);
}

static br_tensor *random_matrix(int64_t r, int64_t c, uint64_t seed) {
  int64_t shape[2] = {r, c};
  br_rng rng;
  br_rng_seed(&rng, seed);
  br_tensor *t = NULL;
  assert_int_equal(br_tensor_rand(&t, 2, shape, &rng), BR_OK);
  return t;
}

/* 3000^2 times 3000^2: 4 x 4 tiles of 3.5e9 flops, 30 ms each on two
 * quiet cores but up to 0.7 s under ASan on a shared, loaded machine: the
 * call may finish the tile it is in, so this test allows a whole second. */
static void matmul_stops(void **state) {
  (void)state;
  br_tensor *a = random_matrix(3000, 3000, 1), *c = NULL;
  start(0.2);
  br_status s = br_tensor_matmul(&c, a, a);
  br_tensor_free(a); /* before the checks, which leave the test on failure */
  slack = 1.0;
  stopped(s, "matmul");
  slack = SLACK;
  assert_null(c);
}

/* The tiles keep the inner dimension whole, so a tiled product (a far
 * deadline) equals the one-call product to rounding (OpenBLAS may block
 * the inner dimension differently for a tile), transposed operands and
 * ragged last tiles included. */
static void tiled_matmul_is_exact(void **state) {
  (void)state;
  br_tensor *a = random_matrix(1500, 1300, 1), *b = random_matrix(1300, 1700, 2);
  br_tensor *bt = random_matrix(1700, 1300, 3), *btt = NULL;
  assert_int_equal(br_tensor_transpose(&btt, bt, 0, 1), BR_OK);
  for (int v = 0; v < 2; v++) {
    const br_tensor *rhs = v ? btt : b;
    br_tensor *plain = NULL, *tiled = NULL;
    assert_int_equal(br_tensor_matmul(&plain, a, rhs), BR_OK);
    br_deadline_set(1e6);
    assert_int_equal(br_tensor_matmul(&tiled, a, rhs), BR_OK);
    br_deadline_clear();
    assert_int_equal(br_tensor_numel(plain), 1500 * 1700);
    const double *x = br_tensor_data(plain), *y = br_tensor_data(tiled);
    double worst = 0; /* entries are sums of 1300 products in [0, 1): about 325 */
    for (int64_t i = 0; i < 1500 * 1700; i++) worst = fmax(worst, fabs(x[i] - y[i]));
    assert_true(worst <= 1e-10);
    br_tensor_free(plain);
    br_tensor_free(tiled);
  }
  br_tensor_free(a);
  br_tensor_free(b);
  br_tensor_free(bt);
  br_tensor_free(btt);
}

/* Filling a large new tensor is where its pages are first touched (72 MB:
 * over a second on this project's VM, whose page faults are slow; small
 * enough that ASan's own work in malloc stays short). */
static void large_fill_stops(void **state) {
  (void)state;
  int64_t shape[2] = {3000, 3000};
  br_tensor *t = NULL;
  /* a deadline that has as good as passed: a fill of 9M cells polls the
   * clock many times, so it must stop, however fast this machine writes
   * memory (5 ms was sometimes enough to finish) */
  start(1e-6);
  stopped(br_tensor_full(&t, 2, shape, 1.0), "tensor");
  assert_null(t);
}

/* Elementwise ops, gathers and per-dimension reductions poll the deadline
 * as they walk (tensor_foreach_timed): broadcasting two small operands or
 * gathering one row many times is a large result from tiny inputs. The
 * operands are made before the deadline is set. */
static void tensor_walks_stop(void **state) {
  (void)state;
  int64_t col[2] = {3000, 1}, row[2] = {1, 3000}, one[2] = {1, 1000};
  br_tensor *a = NULL, *b = NULL, *v = NULL, *r = NULL;
  assert_int_equal(br_tensor_zeros(&a, 2, col), BR_OK);
  assert_int_equal(br_tensor_zeros(&b, 2, row), BR_OK);
  assert_int_equal(br_tensor_zeros(&v, 2, one), BR_OK);
  start(1e-6);
  stopped(br_tensor_binary(&r, BR_OP_ADD, a, b), "add");
  assert_null(r);
  int64_t *ids = calloc(20000, sizeof *ids);
  assert_non_null(ids);
  start(1e-6);
  stopped(br_tensor_index_select(&r, v, 0, ids, 20000), "index");
  assert_null(r);
  free(ids);
  br_tensor *big = NULL;
  assert_int_equal(br_tensor_binary(&big, BR_OP_ADD, a, b), BR_OK);
  start(1e-6);
  stopped(br_tensor_unary(&r, BR_OP_EXP, big), "tensor");
  assert_null(r);
  start(1e-6);
  stopped(br_tensor_reduce_dim(&r, BR_REDUCE_SUM, big, 0, 0, 0), "sum");
  assert_null(r);
  br_tensor_free(big);
  br_tensor_free(a);
  br_tensor_free(b);
  br_tensor_free(v);
}

static void count_tick(void *ctx) { ++*(int *)ctx; }

/* The progress tick: called from the same polls, with no deadline set;
 * the first poll ticks at once, later ones at most every `every` s. */
static void tick_is_called_from_the_polls(void **state) {
  (void)state;
  int64_t shape[2] = {3000, 3000};
  br_tensor *t = NULL;
  int n = 0;
  br_deadline_clear();
  br_deadline_on_tick(count_tick, &n, 1e9);
  assert_int_equal(br_tensor_full(&t, 2, shape, 1.0), BR_OK); /* polls every 2^18 cells */
  assert_int_equal(n, 1);                                      /* once: then not for 1e9 s */
  br_tensor_free(t);
  br_deadline_on_tick(count_tick, &n, 0);
  assert_int_equal(br_tensor_full(&t, 2, shape, 1.0), BR_OK);
  assert_true(n >= 1 + 30); /* 9M cells: 34 polls, each a tick */
  br_tensor_free(t);
  int seen = n;
  br_deadline_on_tick(NULL, NULL, 0);
  assert_int_equal(br_tensor_full(&t, 2, shape, 1.0), BR_OK);
  assert_int_equal(n, seen);
  br_tensor_free(t);
}

/* 3000 baskets holding all of 400 items: 240 million pair increments. */
static void cooccurrence_stops(void **state) {
  (void)state;
  br_baskets *b = read_baskets(3000, 400, 400, 1);
  int64_t np = -1;
  int32_t *pa = NULL, *pb = NULL;
  int64_t *pc = NULL;
  start(0.05);
  stopped(br_baskets_cooccurrence(b, 1, &np, &pa, &pb, &pc), "cooccurrence");
  assert_null(pa);
  assert_true(np == -1); /* nothing handed back */
  br_baskets_free(b);
}

/* A frame of n rows: a float column in a scrambled order and an integer
 * key with n / 2 distinct values. */
static br_frame *big_frame(int64_t n) {
  double *x = malloc((size_t)n * sizeof *x);
  int64_t *k = malloc((size_t)n * sizeof *k);
  assert_true(x && k);
  for (int64_t i = 0; i < n; i++) {
    x[i] = (double)((i * 2654435761u) % 1000003u);
    k[i] = (i * 40503) % (n / 2);
  }
  br_column *cols[2] = {NULL, NULL};
  assert_int_equal(br_column_from_f64(&cols[0], n, x, NULL), BR_OK);
  assert_int_equal(br_column_from_i64(&cols[1], BR_DTYPE_I64, n, k, NULL), BR_OK);
  free(x);
  free(k);
  const char *names[2] = {"x", "k"};
  br_frame *f = NULL;
  assert_int_equal(br_frame_new(&f, 2, names, cols), BR_OK);
  br_column_release(cols[0]);
  br_column_release(cols[1]);
  return f;
}

/* Sorting and grouping 4M rows: each is well over the deadline (the sort
 * alone takes 4.7 s here, a hash insert per row). Their first step touches
 * tens of MB of fresh pages (indices, keys), slow on this VM and under
 * ASan on a loaded machine: a whole second of slack, still far below the
 * full run. */
static void frame_sort_and_group_stop(void **state) {
  (void)state;
  br_frame *f = big_frame(4000000), *out = NULL;
  const char *by[1] = {"x"};
  int desc[1] = {1};
  slack = 1.0;
  start(0.01);
  stopped(br_frame_sort(&out, f, by, desc, 1), "sort");
  assert_null(out);
  const char *keys[1] = {"k"};
  br_agg aggs[1] = {{"n", BR_AGG_COUNT, NULL}};
  start(0.01);
  stopped(br_frame_group_by(&out, f, keys, 1, aggs, 1), "group_by");
  slack = SLACK;
  assert_null(out);
  /* and without a deadline both run */
  assert_int_equal(br_frame_group_by(&out, f, keys, 1, aggs, 1), BR_OK);
  assert_int_equal(br_frame_nrows(out), 2000000);
  br_frame_free(out);
  br_frame_free(f);
}

/* An MLP of two 256-wide layers on 20000 x 64 rows for 1000 epochs: one
 * epoch alone is seconds, so the check must be per batch. */
static void mlp_epochs_stop(void **state) {
  (void)state;
  int64_t n = 20000, d = 64;
  int64_t xs[2] = {n, d}, ys[1] = {n};
  br_rng rng;
  br_rng_seed(&rng, 5);
  br_tensor *X = NULL, *y = NULL;
  assert_int_equal(br_tensor_rand(&X, 2, xs, &rng), BR_OK);
  assert_int_equal(br_tensor_rand(&y, 1, ys, &rng), BR_OK);
  br_mlp_options o;
  br_mlp_options_init(&o);
  o.nlayers = 2;
  o.layers[0] = o.layers[1] = 256;
  o.epochs = 1000;
  br_model *m = NULL;
  assert_int_equal(br_mlp_new(&m, &o), BR_OK);
  start(0.05);
  stopped(br_model_fit(m, X, y), "mlp");
  br_model_free(m);
  br_tensor_free(X);
  br_tensor_free(y);
}

/* The pricing optimiser simulates its customers: 8 items and 3 million
 * customers is seconds of draws before the sort. */
static void price_optimizer_stops(void **state) {
  (void)state;
  enum { N = 8 };
  double price[N], share[N], el[N];
  for (int i = 0; i < N; i++) price[i] = 3 + i, share[i] = 0.2, el[i] = 1.5;
  br_wtp_params p;
  br_wtp_params_init(&p);
  p.n = N;
  p.price = price;
  p.share = share;
  p.elasticity = el;
  p.customers = 3000000;
  br_price_point out;
  slack = 1.0; /* 96 MB of customer arrays are allocated (and, under ASan, poisoned) before the first poll */
  start(0.02);
  br_status st = br_price_optimize_params(&out, &p, 0, 0.5, BR_PRICE_PROFIT);
  slack = SLACK;
  stopped(st, "price");
}

/* Redundancy compares every pair of rules with one consequent: 400
 * baskets of about 30 of 60 items, itemsets up to 3, give ~100k rules and
 * seconds of pairs. */
static void redundant_rules_stop(void **state) {
  (void)state;
  br_baskets *b = read_baskets(400, 60, 50, 1);
  br_mine_options o;
  br_mine_options_init(&o);
  o.min_count = 1;
  o.max_size = 3;
  br_itemsets *s = NULL;
  assert_int_equal(br_baskets_frequent(&s, b, &o), BR_OK);
  br_rule_options ro;
  br_rule_options_init(&ro);
  br_rules *r = NULL;
  assert_int_equal(br_itemsets_rules(&r, s, &ro), BR_OK);
  assert_true(br_rules_count(r) > 50000);
  unsigned char *red = malloc((size_t)br_rules_count(r));
  assert_non_null(red);
  start(0.02);
  stopped(br_rules_redundant(r, red), "redundant");
  free(red);
  br_rules_free(r);
  br_itemsets_free(s);
  br_baskets_free(b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(api_and_message),
      cmocka_unit_test(mining_stops),
      cmocka_unit_test(rules_stop),
      cmocka_unit_test(every_search_method_stops),
      cmocka_unit_test(als_stops),
      cmocka_unit_test(backtest_and_bandit_stop),
      cmocka_unit_test(csv_and_gzip_reads_stop),
      cmocka_unit_test(matmul_stops),
      cmocka_unit_test(tiled_matmul_is_exact),
      cmocka_unit_test(large_fill_stops),
      cmocka_unit_test(tensor_walks_stop),
      cmocka_unit_test(tick_is_called_from_the_polls),
      cmocka_unit_test(cooccurrence_stops),
      cmocka_unit_test(frame_sort_and_group_stop),
      cmocka_unit_test(mlp_epochs_stop),
      cmocka_unit_test(price_optimizer_stops),
      cmocka_unit_test(redundant_rules_stop),
  };
  return cmocka_run_group_tests_name("deadline", tests, NULL, NULL);
}
