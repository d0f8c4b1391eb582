/* The only file that calls MPI (OpenMPI from Debian's libopenmpi-dev): the
 * world's start and end and the five collectives the dist module uses.
 * Built without BR_HAVE_MPI it keeps the same functions, which fail with
 * a message saying how to get MPI, so the rest of the core needs no #if.
 *
 * MPI counts are ints: a reduction is sent in pieces; a gather or an
 * all-to-all must total under 2 GiB per rank (an error says so). */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "bundle/memory.h"
#include "dist_internal.h"

/* Buffers handed to the caller (a bcast's copy, a gather's or all-to-all's
 * bytes and lengths) are br_alloc_out blocks, freed with br_free_out; the
 * counts and displacements MPI reads during a call are br_alloc scratch.
 * Both are charged to the memory budget; MPI itself allocates nothing of
 * ours. */

#ifdef BR_HAVE_MPI
#include <mpi.h>

int mpi_built(void) { return 1; }

static int started_here; /* MPI_Init was ours, so MPI_Finalize is too */

static br_status mpi_fail(const char *what, int rc) {
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  if (MPI_Error_string(rc, text, &len) != MPI_SUCCESS) len = 0;
  text[len] = '\0';
  return br_error_set(BR_ERR_IO, "mpi: %s failed: %s", what, len ? text : "unknown error");
}

br_status mpi_start(int *rank, int *size) {
  int on = 0;
  MPI_Initialized(&on);
  if (!on) {
    int provided = 0; /* only the calling thread talks to MPI */
    int rc = MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
    if (rc != MPI_SUCCESS) return mpi_fail("MPI_Init", rc);
    started_here = 1;
  }
  /* errors come back as codes, to be reported, not as an abort inside MPI */
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  MPI_Comm_rank(MPI_COMM_WORLD, rank);
  MPI_Comm_size(MPI_COMM_WORLD, size);
  return BR_OK;
}

void mpi_stop(int status) {
  int fin = 0;
  MPI_Finalized(&fin);
  if (!started_here || fin) return;
  int size = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  if (status != 0 && size > 1) MPI_Abort(MPI_COMM_WORLD, status);
  MPI_Finalize();
}

br_status mpi_barrier(void) {
  int rc = MPI_Barrier(MPI_COMM_WORLD);
  return rc == MPI_SUCCESS ? BR_OK : mpi_fail("MPI_Barrier", rc);
}

br_status mpi_allreduce(void *buf, int64_t n, int is_i64, br_comm_op op) {
  static const MPI_Op ops[BR_COMM_OP_COUNT] = {MPI_SUM, MPI_MAX, MPI_MIN};
  size_t width = is_i64 ? sizeof(int64_t) : sizeof(double);
  const int64_t piece = 1 << 26;
  for (int64_t at = 0; at < n; at += piece) {
    int m = (int)(n - at < piece ? n - at : piece);
    int rc = MPI_Allreduce(MPI_IN_PLACE, (char *)buf + (size_t)at * width, m, is_i64 ? MPI_INT64_T : MPI_DOUBLE,
                           ops[op], MPI_COMM_WORLD);
    if (rc != MPI_SUCCESS) return mpi_fail("MPI_Allreduce", rc);
  }
  return BR_OK;
}

br_status mpi_bcast(void **data, int64_t *len, int root, int me) {
  int64_t n = me == root ? *len : 0;
  int rc = MPI_Bcast(&n, 1, MPI_INT64_T, root, MPI_COMM_WORLD);
  if (rc != MPI_SUCCESS) return mpi_fail("MPI_Bcast", rc);
  if (n > INT_MAX) return br_error_set(BR_ERR_LIMIT, "mpi: bcast of %lld bytes (at most 2 GiB)", (long long)n);
  char *buf = me == root ? *data : n > 0 ? br_alloc_out("mpi: bcast", (size_t)n, 1) : NULL;
  /* every rank joins the data round, even one short of memory, so none
   * waits forever; the short one then reports its failure */
  int ok = me == root || n == 0 || buf != NULL, all_ok = 0;
  rc = MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  if (rc != MPI_SUCCESS || !all_ok) {
    if (me != root) br_free_out(buf);
    return rc != MPI_SUCCESS ? mpi_fail("MPI_Allreduce", rc) : br_error_set(BR_ERR_NOMEM, "mpi: bcast: out of memory");
  }
  if (n > 0) rc = MPI_Bcast(buf, (int)n, MPI_BYTE, root, MPI_COMM_WORLD);
  if (rc != MPI_SUCCESS) {
    if (me != root) br_free_out(buf);
    return mpi_fail("MPI_Bcast", rc);
  }
  if (me != root) {
    *data = buf;
    *len = n;
  }
  return BR_OK;
}

/* Counts and displacements (ints) for lens[0..size); 0 when the total is
 * 2 GiB or more. */
static int to_counts(const int64_t *lens, int size, int *counts, int *displs, int64_t *total) {
  int64_t t = 0;
  for (int r = 0; r < size; r++) {
    if (t + lens[r] > INT_MAX) return 0;
    counts[r] = (int)lens[r];
    displs[r] = (int)t;
    t += lens[r];
  }
  *total = t;
  return 1;
}

br_status mpi_gather(const void *data, int64_t len, int root, int me, int size, void **out, int64_t **lens) {
  int64_t *all = br_alloc_out("mpi: gather", (size_t)size, sizeof *all);
  int *counts = br_alloc("mpi: gather", (size_t)size, sizeof *counts);
  int *displs = br_alloc("mpi: gather", (size_t)size, sizeof *displs);
  int ok = all && counts && displs, all_ok = 0;
  int rc = MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  br_status s = BR_OK;
  char *buf = NULL;
  int64_t total = 0;
  if (rc != MPI_SUCCESS) s = mpi_fail("MPI_Allreduce", rc);
  else if (!all_ok) s = br_error_set(BR_ERR_NOMEM, "mpi: gather: out of memory");
  if (s == BR_OK && (rc = MPI_Allgather(&len, 1, MPI_INT64_T, all, 1, MPI_INT64_T, MPI_COMM_WORLD)) != MPI_SUCCESS)
    s = mpi_fail("MPI_Allgather", rc);
  if (s == BR_OK && !to_counts(all, size, counts, displs, &total))
    s = br_error_set(BR_ERR_LIMIT, "mpi: gather of 2 GiB or more (send less per call)");
  int lands = root < 0 || root == me;
  if (s == BR_OK) {
    buf = lands ? br_alloc_out("mpi: gather", (size_t)total, 1) : NULL;
    ok = !lands || buf != NULL;
    rc = MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (rc != MPI_SUCCESS) s = mpi_fail("MPI_Allreduce", rc);
    else if (!all_ok) s = br_error_set(BR_ERR_NOMEM, "mpi: gather: out of memory");
  }
  if (s == BR_OK) {
    rc = root < 0 ? MPI_Allgatherv(data, (int)len, MPI_BYTE, buf, counts, displs, MPI_BYTE, MPI_COMM_WORLD)
                  : MPI_Gatherv(data, (int)len, MPI_BYTE, buf, counts, displs, MPI_BYTE, root, MPI_COMM_WORLD);
    if (rc != MPI_SUCCESS) s = mpi_fail("MPI_Gatherv", rc);
  }
  br_free(counts);
  br_free(displs);
  if (s != BR_OK || !lands) {
    br_free_out(buf);
    br_free_out(all);
    if (s == BR_OK) *out = NULL, *lens = NULL;
    return s;
  }
  *out = buf;
  *lens = all;
  return BR_OK;
}

br_status mpi_alltoall(const void *send, const int64_t *sendlens, int size, void **recv, int64_t **recvlens) {
  int64_t *rl = br_alloc_out("mpi: alltoall", (size_t)size, sizeof *rl);
  int *sc = br_alloc("mpi: alltoall", (size_t)size, sizeof *sc), *sd = br_alloc("mpi: alltoall", (size_t)size, sizeof *sd);
  int *rc_ = br_alloc("mpi: alltoall", (size_t)size, sizeof *rc_), *rd = br_alloc("mpi: alltoall", (size_t)size, sizeof *rd);
  int ok = rl && sc && sd && rc_ && rd, all_ok = 0;
  br_status s = BR_OK;
  char *buf = NULL;
  int64_t stotal = 0, rtotal = 0;
  int rc = MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
  if (rc != MPI_SUCCESS) s = mpi_fail("MPI_Allreduce", rc);
  else if (!all_ok) s = br_error_set(BR_ERR_NOMEM, "mpi: alltoall: out of memory");
  if (s == BR_OK && (rc = MPI_Alltoall(sendlens, 1, MPI_INT64_T, rl, 1, MPI_INT64_T, MPI_COMM_WORLD)) != MPI_SUCCESS)
    s = mpi_fail("MPI_Alltoall", rc);
  if (s == BR_OK) {
    ok = to_counts(sendlens, size, sc, sd, &stotal) && to_counts(rl, size, rc_, rd, &rtotal);
    if (ok) buf = br_alloc_out("mpi: alltoall", (size_t)rtotal, 1);
    int why = !ok ? 2 : buf ? 0 : 1, worst = 0;
    rc = MPI_Allreduce(&why, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (rc != MPI_SUCCESS) s = mpi_fail("MPI_Allreduce", rc);
    else if (worst == 2) s = br_error_set(BR_ERR_LIMIT, "mpi: alltoall of 2 GiB or more per rank");
    else if (worst == 1) s = br_error_set(BR_ERR_NOMEM, "mpi: alltoall: out of memory");
  }
  if (s == BR_OK) {
    rc = MPI_Alltoallv(send, sc, sd, MPI_BYTE, buf, rc_, rd, MPI_BYTE, MPI_COMM_WORLD);
    if (rc != MPI_SUCCESS) s = mpi_fail("MPI_Alltoallv", rc);
  }
  br_free(sc);
  br_free(sd);
  br_free(rc_);
  br_free(rd);
  if (s != BR_OK) {
    br_free_out(buf);
    br_free_out(rl);
    return s;
  }
  *recv = buf;
  *recvlens = rl;
  return BR_OK;
}

#else /* built without MPI */

int mpi_built(void) { return 0; }

static br_status absent(void) {
  return br_error_set(BR_ERR_STATE, "bundlerun was built without MPI: install OpenMPI (apt-get install "
                                    "libopenmpi-dev openmpi-bin, or scripts/install-deps.sh) and rebuild");
}

br_status mpi_start(int *rank, int *size) {
  (void)rank, (void)size;
  return absent();
}
void mpi_stop(int status) { (void)status; }
br_status mpi_barrier(void) { return absent(); }
br_status mpi_allreduce(void *buf, int64_t n, int is_i64, br_comm_op op) {
  (void)buf, (void)n, (void)is_i64, (void)op;
  return absent();
}
br_status mpi_bcast(void **data, int64_t *len, int root, int me) {
  (void)data, (void)len, (void)root, (void)me;
  return absent();
}
br_status mpi_gather(const void *data, int64_t len, int root, int me, int size, void **out, int64_t **lens) {
  (void)data, (void)len, (void)root, (void)me, (void)size, (void)out, (void)lens;
  return absent();
}
br_status mpi_alltoall(const void *send, const int64_t *sendlens, int size, void **recv, int64_t **recvlens) {
  (void)send, (void)sendlens, (void)size, (void)recv, (void)recvlens;
  return absent();
}

#endif
