/* The communicator: MPI's world when the process was started by mpirun,
 * else a world of one rank, where every collective is a copy or nothing.
 * The MPI calls themselves are in mpi_comm.c. */
#include <stdlib.h>
#include <string.h>

#include "bundle/memory.h"
#include "dist_internal.h"

static br_comm world;
static const char *forbidden; /* why MPI may not start here (br_mpi_forbid) */
static enum { WORLD_NONE, WORLD_READY, WORLD_ENDED } world_state;

int br_mpi_built(void) { return mpi_built(); }

/* OpenMPI's launcher sets OMPI_COMM_WORLD_SIZE; PMI_SIZE and PMIX_RANK
 * cover MPICH's and other PMI launchers. */
int br_mpi_launched(void) {
  return getenv("OMPI_COMM_WORLD_SIZE") != NULL || getenv("PMI_SIZE") != NULL || getenv("PMIX_RANK") != NULL;
}

br_status br_comm_world(br_comm **out) {
  if (world_state == WORLD_ENDED) return br_error_set(BR_ERR_STATE, "mpi: the world has already been finalised");
  if (world_state == WORLD_NONE) {
    br_comm w = {0, 1, 0};
    if (br_mpi_launched() && forbidden) return br_error_set(BR_ERR_STATE, "mpi: %s", forbidden);
    if (br_mpi_launched()) {
      br_status s = mpi_start(&w.rank, &w.size);
      if (s != BR_OK) return s;
      w.mpi = 1;
    }
    world = w;
    world_state = WORLD_READY;
  }
  *out = &world;
  return BR_OK;
}

void br_mpi_forbid(const char *why) { forbidden = why; }

void br_mpi_finalize(int status) {
  if (world_state == WORLD_READY && world.mpi) mpi_stop(status);
  if (world_state == WORLD_READY) world_state = WORLD_ENDED;
}

int br_comm_rank(const br_comm *c) { return c->rank; }
int br_comm_size(const br_comm *c) { return c->size; }

static const char *const op_names[] = {"sum", "max", "min"};
_Static_assert(sizeof op_names / sizeof *op_names == BR_COMM_OP_COUNT, "one name per op");

const char *br_comm_op_name(br_comm_op op) { return op >= 0 && op < BR_COMM_OP_COUNT ? op_names[op] : "?"; }

br_status br_comm_op_parse(br_comm_op *op, const char *s) {
  for (int i = 0; i < BR_COMM_OP_COUNT; i++)
    if (strcmp(s, op_names[i]) == 0) {
      *op = (br_comm_op)i;
      return BR_OK;
    }
  return br_error_set(BR_ERR_ARG, "unknown reduction '%s' (use sum, max or min)", s);
}

br_status br_comm_barrier(br_comm *c) { return c->mpi ? mpi_barrier() : BR_OK; }

static br_status check_op(br_comm_op op, int64_t n) {
  if (op < 0 || op >= BR_COMM_OP_COUNT) return br_error_set(BR_ERR_ARG, "allreduce: unknown reduction %d", (int)op);
  if (n < 0) return br_error_set(BR_ERR_ARG, "allreduce: negative length %lld", (long long)n);
  return BR_OK;
}

br_status br_comm_allreduce_f64(br_comm *c, double *buf, int64_t n, br_comm_op op) {
  br_status s = check_op(op, n);
  if (s != BR_OK || !c->mpi) return s;
  return mpi_allreduce(buf, n, 0, op);
}

br_status br_comm_allreduce_i64(br_comm *c, int64_t *buf, int64_t n, br_comm_op op) {
  br_status s = check_op(op, n);
  if (s != BR_OK || !c->mpi) return s;
  return mpi_allreduce(buf, n, 1, op);
}

static br_status check_root(const br_comm *c, int root, const char *fn) {
  if (root < 0 || root >= c->size)
    return br_error_set(BR_ERR_ARG, "%s: root %d is not a rank (the world has %d)", fn, root, c->size);
  return BR_OK;
}

/* len bytes of data in a new block the caller frees with br_free_out (a
 * valid block even for 0 bytes, so NULL means out of memory). */
static void *copy_bytes(const char *what, const void *data, int64_t len) {
  void *p = br_alloc_out(what, (size_t)len, 1);
  if (p && len > 0) memcpy(p, data, (size_t)len);
  return p;
}

br_status br_comm_bcast(br_comm *c, void **data, int64_t *len, int root) {
  br_status s = check_root(c, root, "bcast");
  if (s != BR_OK || !c->mpi) return s; /* one rank: the root already has it */
  return mpi_bcast(data, len, root, c->rank);
}

br_status br_comm_gather(br_comm *c, const void *data, int64_t len, int root, void **out, int64_t **lens) {
  if (root >= 0) {
    br_status s = check_root(c, root, "gather");
    if (s != BR_OK) return s;
  }
  if (c->mpi) return mpi_gather(data, len, root, c->rank, c->size, out, lens);
  void *p = copy_bytes("gather", data, len);
  int64_t *l = br_alloc_out("gather", 1, sizeof *l);
  if (!p || !l) {
    br_free_out(p);
    br_free_out(l);
    return br_error_set(BR_ERR_NOMEM, "gather: out of memory");
  }
  *l = len;
  *out = p;
  *lens = l;
  return BR_OK;
}

br_status br_comm_alltoall(br_comm *c, const void *send, const int64_t *sendlens, void **recv,
                           int64_t **recvlens) {
  if (c->mpi) return mpi_alltoall(send, sendlens, c->size, recv, recvlens);
  void *p = copy_bytes("alltoall", send, sendlens[0]);
  int64_t *l = br_alloc_out("alltoall", 1, sizeof *l);
  if (!p || !l) {
    br_free_out(p);
    br_free_out(l);
    return br_error_set(BR_ERR_NOMEM, "alltoall: out of memory");
  }
  *l = sendlens[0];
  *recv = p;
  *recvlens = l;
  return BR_OK;
}
