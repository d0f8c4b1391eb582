/* The dist module's own CPU cost on one rank, against another build of the
 * library (the named peer: the tree before a change). For each of R
 * repetitions: br_dist_baskets_global, br_dist_frequent (levels),
 * br_dist_frequent_pfp and br_dist_backtest (100 two-item bundles) on the
 * baskets of PATH (order,item lines); prints the least process CPU seconds
 * of each stage and the results' sizes, which must match the peer's.
 * Built and run by scripts/bench/mpi/dist_cpu.sh. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bundle/bundle.h"

static double cpu(void) {
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void need(br_status s) {
  if (s != BR_OK) {
    fprintf(stderr, "dist_cpu: %s\n", br_last_error());
    exit(1);
  }
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: dist_cpu PATH MIN_SUPPORT REPS NAME\n");
    return 2;
  }
  br_comm *w = NULL;
  need(br_comm_world(&w));
  br_frame *f = NULL;
  need(br_frame_read_csv(&f, argv[1], NULL, NULL));
  br_baskets_spec spec = {0};
  spec.basket = "order";
  spec.item = "item";
  br_baskets *b = NULL;
  need(br_baskets_from_frame(&b, f, &spec));
  br_frame_free(f);
  br_mine_options o;
  br_mine_options_init(&o);
  o.min_support = atof(argv[2]);
  int reps = atoi(argv[3]);
  int32_t items[200];
  int64_t off[101] = {0};
  for (int k = 0; k < 100; k++) {
    items[2 * k] = k;
    items[2 * k + 1] = k + 1;
    off[k + 1] = 2 * k + 2;
  }
  double best[4] = {1e9, 1e9, 1e9, 1e9};
  long long n1 = 0, n2 = 0, hits = 0;
  for (int r = 0; r < reps; r++) {
    br_baskets *g = NULL;
    br_itemsets *s1 = NULL, *s2 = NULL;
    br_backtest bt;
    double t[5];
    t[0] = cpu();
    need(br_dist_baskets_global(&g, w, b));
    t[1] = cpu();
    need(br_dist_frequent(&s1, w, g, &o));
    t[2] = cpu();
    need(br_dist_frequent_pfp(&s2, w, g, &o));
    t[3] = cpu();
    need(br_dist_backtest(&bt, NULL, w, g, items, off, 100, NULL, NULL));
    t[4] = cpu();
    for (int k = 0; k < 4; k++)
      if (t[k + 1] - t[k] < best[k]) best[k] = t[k + 1] - t[k];
    n1 = br_itemsets_count(s1);
    n2 = br_itemsets_count(s2);
    hits = bt.hits;
    br_itemsets_free(s1);
    br_itemsets_free(s2);
    br_baskets_free(g);
  }
  printf("%-8s global %.4f  levels %.4f  pfp %.4f  backtest %.4f  (itemsets %lld / %lld, hits %lld)\n", argv[4],
         best[0], best[1], best[2], best[3], n1, n2, hits);
  br_baskets_free(b);
  return 0;
}
