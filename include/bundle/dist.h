/* bundle/dist.h — running one analysis over several processes (MPI ranks):
 * a communicator, distributed CSV reading with baskets kept whole, and
 * distributed mining and backtests whose results equal one process's.
 *
 *     br_comm *w = NULL;
 *     if (br_comm_world(&w) != BR_OK) puts(br_last_error());   // 1 rank when not under mpirun
 *     int64_t begin, end;
 *     br_dist_range(&begin, &end, "orders.csv", &split, br_comm_rank(w), br_comm_size(w));
 *     ...read the range (br_csv_options.range_begin/range_end), make baskets...
 *     br_baskets *g = NULL;   br_dist_baskets_global(&g, w, local);   // one item dictionary on every rank
 *     br_itemsets *sets = NULL; br_dist_frequent(&sets, w, g, &mine_options);  // the same on every rank
 *
 * MPI is optional at build time (OpenMPI, Debian's libopenmpi-dev): only
 * src/core/mpi_comm.c calls it. Without MPI, or when the process was not
 * started by mpirun, the world is one rank (every collective is then the
 * identity), so a script runs unchanged on one machine. Started by mpirun
 * but built without MPI is an error, so N copies never each do the whole
 * job believing they are alone.
 *
 * Collectives must be called by every rank in the same order, as in MPI.
 * Results through `**out` belong to the caller; on failure *out is
 * untouched and br_last_error() says why.
 */
#ifndef BUNDLE_DIST_H
#define BUNDLE_DIST_H

#include <stddef.h>
#include <stdint.h>

#include "bundle/basket.h"
#include "bundle/error.h"
#include "bundle/eval.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- the communicator ---- */

typedef struct br_comm br_comm;

/* 1 when this library was built with MPI. */
int br_mpi_built(void);
/* 1 when the process was started by mpirun/mpiexec (its environment says so). */
int br_mpi_launched(void);
/* The world: MPI_COMM_WORLD (MPI is initialised on the first call) when
 * started by mpirun, else a world of one rank. The object is static: do
 * not free it. Errors: started by mpirun without MPI built in; MPI_Init
 * failing; called after br_mpi_finalize. */
br_status br_comm_world(br_comm **out);
/* Ends MPI when br_comm_world started it; safe to call always. A program
 * calls it once, before exit, with its exit status: 0 finalises; any other
 * status aborts the whole job with that code, since the other ranks may be
 * waiting in a collective for this one and would otherwise hang. */
void br_mpi_finalize(int status);

/* From now on a br_comm_world that would start MPI fails with "mpi: <why>"
 * (bundlerun's --sandbox: its seccomp filter forbids MPI's sockets). A
 * world of one rank is still given. */
void br_mpi_forbid(const char *why);

int br_comm_rank(const br_comm *c);
int br_comm_size(const br_comm *c);

typedef enum br_comm_op { BR_COMM_SUM, BR_COMM_MAX, BR_COMM_MIN, BR_COMM_OP_COUNT } br_comm_op;
const char *br_comm_op_name(br_comm_op op);          /* "sum", "max", "min" */
br_status br_comm_op_parse(br_comm_op *op, const char *s);

br_status br_comm_barrier(br_comm *c);
/* Reduces buf[0..n) element-wise over all ranks, in place; every rank
 * passes the same n. */
br_status br_comm_allreduce_f64(br_comm *c, double *buf, int64_t n, br_comm_op op);
br_status br_comm_allreduce_i64(br_comm *c, int64_t *buf, int64_t n, br_comm_op op);
/* Root's bytes to every rank: on root *data and *len are read; elsewhere they
 * are set to a copy (NULL when len is 0) that the caller frees with
 * br_free_out. The blocks these three return are charged to the memory
 * budget (bundle/memory.h) until freed so; free() is memory-safe but leaves
 * the charge. */
br_status br_comm_bcast(br_comm *c, void **data, int64_t *len, int root);
/* Every rank's bytes, concatenated in rank order, on root (root < 0: on
 * every rank). *out and *lens (size entries), both the caller's to free
 * with br_free_out, are set where the result lands, NULL elsewhere. */
br_status br_comm_gather(br_comm *c, const void *data, int64_t len, int root, void **out, int64_t **lens);
/* All-to-all of bytes: send holds size blocks, block r (sendlens[r] bytes)
 * going to rank r. *recv gets the blocks from ranks 0..size-1 concatenated
 * and *recvlens (size entries) their lengths, both the caller's to free
 * with br_free_out. */
br_status br_comm_alltoall(br_comm *c, const void *send, const int64_t *sendlens, void **recv,
                           int64_t **recvlens);

/* ---- distributed reading ---- */

/* How br_dist_range splits a CSV file. */
typedef struct br_dist_split {
  char sep, quote;     /* ',' and '"' by default */
  const char *key;     /* the basket column (header name); NULL: split at line ends only */
} br_dist_split;

void br_dist_split_init(br_dist_split *s);

/* The bytes [*begin, *end) of the file at path that rank `rank` of `size`
 * reads: an even share of the data rows, moved forward to a line start
 * and then past lines whose `key` equals the key of the line before, so
 * that a basket written on consecutive lines is never cut between two
 * ranks. Every rank computes every boundary the same way, with no message.
 * The ranges of ranks 0..size-1 tile the data (after the header) exactly;
 * a range may be empty. Assumes no line break inside a quoted field.
 * Errors: an unreadable or compressed file, a missing key column. */
br_status br_dist_range(int64_t *begin, int64_t *end, const char *path, const br_dist_split *s, int rank,
                        int size);

/* ---- distributed baskets, mining and evaluation ---- */

/* A copy of b whose item ids index one dictionary shared by every rank:
 * the sorted union of all ranks' labels (one allgather of labels). Items
 * absent here are in the dictionary with no basket. Per-basket times,
 * revenue and users are kept. */
br_status br_dist_baskets_global(br_baskets **out, br_comm *c, const br_baskets *b);

/* Frequent itemsets of the union of all ranks' baskets, b being this
 * rank's (made by br_dist_baskets_global), by count distribution level by
 * level: item supports (one allreduce); pairs from the union of the pairs
 * each rank finds at its share of the threshold (one allgather), counted
 * on every rank (one allreduce); then apriori candidates of each size,
 * counted on every rank (one allreduce per level). The result, on every
 * rank, holds the same itemsets and counts as br_baskets_frequent over all
 * baskets in one process. Options supported: min_support, min_count,
 * min_size, max_size (at most 62), max_itemsets (the itemsets found over
 * all levels); the others are an error. */
br_status br_dist_frequent(br_itemsets **out, br_comm *c, const br_baskets *b, const br_mine_options *o);
/* The same result by parallel FP-growth's grouping (Li et al., RecSys
 * 2008): frequent items are dealt to ranks round-robin by support, each
 * basket sends to a group's rank its prefix up to the group's last item,
 * and each rank mines what it got and keeps the itemsets whose rarest item
 * is its own. Kept for comparison: with baskets longer than the number of
 * ranks each rank receives nearly every basket whole and mines it all. */
br_status br_dist_frequent_pfp(br_itemsets **out, br_comm *c, const br_baskets *b, const br_mine_options *o);

/* br_eval_backtest over the union of all ranks' baskets: each rank scores
 * its own, then counts and sums are reduced and the ratios recomputed from
 * them, so every figure equals one process's. b must come from
 * br_dist_baskets_global (the same item ids everywhere). */
br_status br_dist_backtest(br_backtest *out, br_backtest_bundle *per, br_comm *c, const br_baskets *b,
                           const int32_t *items, const int64_t *off, int64_t nb, const double *price,
                           const double *cost);

/* Y'Y over all ranks' rows: each rank passes its rows x f row-major block
 * Y; gram (f x f, caller-allocated) receives the sum of the ranks' Y'Y
 * (one dsyrk and one allreduce), the Gram matrix ALS shares per sweep. */
br_status br_dist_gram(double *gram, br_comm *c, const double *Y, int64_t rows, int f);

#ifdef __cplusplus
}
#endif
#endif
