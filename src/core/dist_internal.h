/* Private to the dist module: the MPI half (mpi_comm.c, the only file that
 * includes <mpi.h>) behind the communicator of dist_comm.c. Built without
 * MPI, mpi_comm.c gives the same functions, each failing with a message
 * saying so; dist_comm.c never calls them for a one-rank world. */
#ifndef BUNDLE_DIST_INTERNAL_H
#define BUNDLE_DIST_INTERNAL_H

#include "bundle/dist.h"

struct br_comm {
  int rank, size;
  int mpi; /* 1: MPI_COMM_WORLD; 0: this process alone */
};

int mpi_built(void);
br_status mpi_start(int *rank, int *size);
void mpi_stop(int status);
br_status mpi_barrier(void);
br_status mpi_allreduce(void *buf, int64_t n, int is_i64, br_comm_op op);
br_status mpi_bcast(void **data, int64_t *len, int root, int me);
br_status mpi_gather(const void *data, int64_t len, int root, int me, int size, void **out, int64_t **lens);
br_status mpi_alltoall(const void *send, const int64_t *sendlens, int size, void **recv, int64_t **recvlens);

/* ---- shared by the two miners (dist_mine.c) ---- */

typedef struct ibuf { /* a growable int32 buffer */
  int32_t *v;
  int64_t n, cap;
} ibuf;
int ibuf_push(ibuf *b, int32_t x); /* 0 when out of memory */
int dist_cmp_i32(const void *a, const void *b);
/* The options the distributed miners support (an error names the first
 * other); a NULL *o becomes dflt, initialised. */
br_status dist_check_mine_options(const br_mine_options **o, br_mine_options *dflt);
/* The global count threshold over total baskets, as br_baskets_frequent's. */
int64_t dist_min_count(const br_mine_options *o, int64_t total);
/* An itemset as a record [size, count low 31 bits, count high bits, items...]; 0 when out of memory. */
int dist_push_record(ibuf *to, const int32_t *items, int size, int64_t count);
/* Itemsets (sorted by count) from nint ints of records; item counts sup (G entries). */
br_status dist_itemsets_from_records(br_itemsets **out, const int32_t *rec, int64_t nint, int64_t total,
                                     const int64_t *sup, int32_t G);

#endif
