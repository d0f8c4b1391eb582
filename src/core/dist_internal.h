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

#endif
