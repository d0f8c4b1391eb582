/* cmocka tests of the dist module on however many ranks run them: alone
 * (make test), and under mpirun -n 2 and 4 (tests/mpi/run.sh). Each rank
 * holds every size-th basket; the levels miner and parallel FP-growth
 * (whose all-to-all ships baskets between ranks, rebuilt there through
 * basket_build.h's builder) must both find exactly the itemsets one
 * process finds on all the baskets, and the collectives' buffers must
 * carry the right bytes and be charged to the budget until br_free_out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "test_util.h"

#include "bundle/bundle.h"

enum { NBASKETS = 2000 };

/* Baskets k (every one when size is 0, else those with k % size == rank):
 * 1-6 integer items of 40, a few popular, from a fixed generator. */
static br_baskets *baskets_of(int rank, int size) {
  char path[64];
  snprintf(path, sizeof path, "/tmp/test_dist_ranks_%d.txt", (int)getpid());
  FILE *fp = fopen(path, "w");
  assert_non_null(fp);
  uint32_t seed = 12345;
  for (int k = 0; k < NBASKETS; k++) {
    int m = 0, items[6];
    seed = seed * 1103515245u + 12345u;
    int len = 1 + (int)((seed >> 16) % 6);
    for (int j = 0; j < len; j++) {
      seed = seed * 1103515245u + 12345u;
      items[m++] = (seed >> 16) % 3 == 0 ? (int)((seed >> 20) % 6) : (int)((seed >> 18) % 40);
    }
    if (size && k % size != rank) continue;
    for (int j = 0; j < m; j++) fprintf(fp, j ? " %d" : "%d", items[j]);
    fputc('\n', fp);
  }
  fclose(fp);
  return test_read_baskets(path, 0);
}

/* An order-free digest of itemsets by their labels and counts (the global
 * dictionary numbers items unlike one process's). */
static uint64_t digest(const br_itemsets *s, const br_baskets *b) {
  uint64_t sum = 0;
  for (int64_t k = 0; k < br_itemsets_count(s); k++) {
    int z;
    const int32_t *it = br_itemsets_items(s, k, &z);
    int lab[64];
    for (int q = 0; q < z; q++) {
      size_t len;
      const char *l = br_baskets_label(b, it[q], &len);
      lab[q] = atoi(l);
    }
    for (int q = 1; q < z; q++) /* labels sorted, as numbers */
      for (int p = q; p > 0 && lab[p - 1] > lab[p]; p--) {
        int t = lab[p];
        lab[p] = lab[p - 1];
        lab[p - 1] = t;
      }
    uint64_t h = 1469598103934665603u;
    for (int q = 0; q < z; q++) h = (h ^ (uint64_t)lab[q]) * 1099511628211u;
    h = (h ^ (uint64_t)br_itemsets_support_count(s, k)) * 1099511628211u;
    sum += h;
  }
  return sum;
}

static void levels_and_pfp_equal_one_process(void **state) {
  (void)state;
  br_comm *w = NULL;
  assert_int_equal(br_comm_world(&w), BR_OK);
  int rank = br_comm_rank(w), size = br_comm_size(w);
  br_mine_options o;
  br_mine_options_init(&o);
  o.min_support = 0.01;
  br_baskets *all = baskets_of(0, 0), *mine = baskets_of(rank, size), *g = NULL;
  br_itemsets *ref = NULL;
  assert_int_equal(br_baskets_frequent(&ref, all, &o), BR_OK);
  assert_true(br_itemsets_count(ref) > 40);
  int64_t base = br_mem_used();
  assert_int_equal(br_dist_baskets_global(&g, w, mine), BR_OK);
  for (int pfp = 0; pfp < 2; pfp++) {
    br_itemsets *s = NULL;
    assert_int_equal((pfp ? br_dist_frequent_pfp : br_dist_frequent)(&s, w, g, &o), BR_OK);
    assert_int_equal(br_itemsets_count(s), br_itemsets_count(ref));
    assert_int_equal(br_itemsets_nbaskets(s), NBASKETS);
    assert_true(digest(s, g) == digest(ref, all));
    br_itemsets_free(s);
  }
  br_baskets_free(g);
  assert_int_equal(br_mem_used(), base); /* every buffer of the collectives given back */
  br_itemsets_free(ref);
  br_baskets_free(mine);
  br_baskets_free(all);
}

/* Rank r sends (r + 1) x (q + 2) bytes of r * 16 + q to rank q. */
static void alltoall_bytes_arrive_and_are_charged(void **state) {
  (void)state;
  br_comm *w = NULL;
  assert_int_equal(br_comm_world(&w), BR_OK);
  int r = br_comm_rank(w), size = br_comm_size(w);
  int64_t *lens = calloc((size_t)size, sizeof *lens), total = 0;
  assert_non_null(lens);
  for (int q = 0; q < size; q++) total += lens[q] = (int64_t)(r + 1) * (q + 2);
  unsigned char *send = malloc((size_t)total), *p = send;
  assert_non_null(send);
  for (int q = 0; q < size; q++) {
    memset(p, r * 16 + q, (size_t)lens[q]);
    p += lens[q];
  }
  int64_t base = br_mem_used();
  void *recv = NULL;
  int64_t *rl = NULL;
  assert_int_equal(br_comm_alltoall(w, send, lens, &recv, &rl), BR_OK);
  assert_true(br_mem_used() - base >= (int64_t)size * (int64_t)sizeof *rl);
  const unsigned char *at = recv;
  for (int q = 0; q < size; q++) {
    assert_int_equal(rl[q], (int64_t)(q + 1) * (r + 2));
    for (int64_t i = 0; i < rl[q]; i++) assert_int_equal(at[i], q * 16 + r);
    at += rl[q];
  }
  br_free_out(recv);
  br_free_out(rl);
  /* the last rank's 5 bytes to every rank */
  char hello[] = "hello";
  void *data = r == size - 1 ? hello : NULL;
  int64_t len = r == size - 1 ? 5 : 0;
  assert_int_equal(br_comm_bcast(w, &data, &len, size - 1), BR_OK);
  assert_int_equal(len, 5);
  assert_memory_equal(data, "hello", 5);
  if (r != size - 1) br_free_out(data);
  assert_int_equal(br_mem_used(), base);
  free(send);
  free(lens);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(levels_and_pfp_equal_one_process),
      cmocka_unit_test(alltoall_bytes_arrive_and_are_charged),
  };
  br_comm *w = NULL;
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  if (br_comm_world(&w) == BR_OK) br_mpi_finalize(rc);
  return rc;
}
