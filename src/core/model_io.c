/* Saving and loading models: a small versioned binary format with a
 * checksum, written atomically. Loading validates every count and shape
 * before it allocates, so a corrupt file is an error, never a crash. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "io_atomic_file.h"
#include "bundle/memory.h"
#include "model_internal.h"

#define MAGIC "BRMODEL"
#define FORMAT_VERSION 1u
#define HEADER_SIZE (8 + 4 + 4 + 8)

/* ---- a growable byte buffer (model_internal.h) ---- */

void br_bytes_put(br_bytes *b, const void *v, size_t n) {
  if (b->failed) return;
  if (b->len + n > b->cap) {
    size_t cap = (b->len + n) * 2 + 64;
    unsigned char *p = br_realloc("model", b->p, cap, 1);
    if (!p) {
      b->failed = 1;
      return;
    }
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->len, v, n);
  b->len += n;
}

static void put_i32(br_bytes *b, int32_t v) { br_bytes_put(b, &v, 4); }
static void put_u32(br_bytes *b, uint32_t v) { br_bytes_put(b, &v, 4); }
static void put_i64(br_bytes *b, int64_t v) { br_bytes_put(b, &v, 8); }
static void put_f64(br_bytes *b, double v) { br_bytes_put(b, &v, 8); }

/* ---- reading with bounds ---- */

typedef struct reader {
  const unsigned char *p;
  size_t len, at;
  int short_read;
} reader;

static void get(reader *r, void *v, size_t n) {
  if (r->short_read || r->len - r->at < n) {
    r->short_read = 1;
    memset(v, 0, n);
    return;
  }
  memcpy(v, r->p + r->at, n);
  r->at += n;
}

static int32_t get_i32(reader *r) { int32_t v; get(r, &v, 4); return v; }
static uint32_t get_u32(reader *r) { uint32_t v; get(r, &v, 4); return v; }
static int64_t get_i64(reader *r) { int64_t v; get(r, &v, 8); return v; }
static double get_f64(reader *r) { double v; get(r, &v, 8); return v; }

/* ---- save ---- */

static void put_payload(br_bytes *b, const br_model *m) {
  if (m->kind != BR_MODEL_MLP) {
    put_f64(b, m->l2);
    put_f64(b, m->tol);
    put_i32(b, m->intercept);
    put_i32(b, m->max_iter);
    put_i32(b, m->iterations);
    put_i64(b, m->d);
    put_f64(b, m->b);
    br_bytes_put(b, m->w, (size_t)m->d * sizeof *m->w);
    return;
  }
  const br_mlp_options *o;
  const float *p;
  size_t size;
  mlp_export(m, &o, &p, &size);
  put_i32(b, o->nlayers);
  for (int i = 0; i < BR_MLP_MAX_LAYERS; i++) put_i32(b, o->layers[i]);
  put_i32(b, o->activation);
  put_i32(b, o->output);
  put_i32(b, o->loss);
  put_i32(b, o->optimizer);
  put_f64(b, o->lr);
  put_f64(b, o->momentum);
  put_f64(b, o->weight_decay);
  put_i32(b, o->epochs);
  put_i32(b, o->batch);
  put_i64(b, (int64_t)o->seed);
  put_i32(b, o->shuffle);
  put_f64(b, o->validation);
  put_i32(b, o->patience);
  put_i64(b, m->d);
  put_i64(b, (int64_t)size);
  br_bytes_put(b, p, size * sizeof *p);
}

br_status br_model_save(const br_model *m, const char *path) {
  if (!m->fitted) return br_error_set(BR_ERR_STATE, "save: the model is not fitted (call fit first)");
  br_bytes payload = {0}, file = {0};
  if (m->kind == BR_MODEL_GBDT) { /* XGBoost's bytes inside our frame (gbdt.c) */
    br_status gs = gbdt_export(m, &payload.p, &payload.len);
    if (gs != BR_OK) return gs;
  } else {
    put_payload(&payload, m);
  }
  br_bytes_put(&file, MAGIC, 8); /* 7 letters and a NUL */
  put_u32(&file, FORMAT_VERSION);
  put_u32(&file, (uint32_t)m->kind);
  put_i64(&file, (int64_t)payload.len);
  br_bytes_put(&file, payload.p, payload.len);
  uint32_t crc = (uint32_t)crc32(0L, file.p, (uInt)file.len);
  put_u32(&file, crc);
  br_free(payload.p);
  if (payload.failed || file.failed) {
    br_free(file.p);
    return br_error_set(BR_ERR_NOMEM, "save: out of memory");
  }
  atomic_file af;
  br_status s = atomic_open(&af, path, "wb");
  if (s == BR_OK) {
    /* a short write sets the stream's error flag: commit reports it with
     * its cause ("No space left on device") and removes the temporary */
    (void)fwrite(file.p, 1, file.len, af.fp);
    s = atomic_commit(&af);
  }
  br_free(file.p);
  return s;
}

/* ---- load ---- */

static br_status bad(const char *path, const char *why) {
  return br_error_set(BR_ERR_PARSE, "load: %s: %s", path, why);
}

/* Reads the header, then the body it declares, never more: a file that is
 * not a model (no magic) or whose declared payload the file cannot hold is
 * refused after 24 bytes, before a huge file is read whole. The body's
 * buffer is taken from the memory budget while the model is parsed. */
br_status br_model_load(br_model **out, const char *path) {
  FILE *fp = fopen(path, "rb");
  if (!fp) return br_error_set(BR_ERR_IO, "load: %s: cannot open: %s", path, strerror(errno));
  struct stat st;
  int sized = fstat(fileno(fp), &st) == 0 && S_ISREG(st.st_mode); /* a pipe has no size to check */
  unsigned char head[HEADER_SIZE];
  size_t got = fread(head, 1, sizeof head, fp);
  br_status s = BR_OK;
  br_model *m = NULL;
  unsigned char *buf = NULL;
  reader r = {head, got, 0, 0};
  char magic[8];
  get(&r, magic, 8);
  if (ferror(fp)) {
    s = br_error_set(BR_ERR_IO, "load: %s: cannot read: %s", path, strerror(errno));
    goto done;
  }
  if (r.short_read || memcmp(magic, MAGIC, 8) != 0) {
    s = bad(path, "not a bundlerun model file (no BRMODEL header)");
    goto done;
  }
  uint32_t version = get_u32(&r), kind = get_u32(&r);
  int64_t plen = get_i64(&r);
  if (version > FORMAT_VERSION) {
    s = br_error_set(BR_ERR_PARSE, "load: %s: written in model format %u; this bundlerun reads format %u (upgrade it)",
                     path, version, FORMAT_VERSION);
    goto done;
  }
  /* the promise is printed as a payload size: header + plen + 4 can overflow (found by fuzz_model) */
  size_t have = sized ? (size_t)st.st_size : got;
  if (r.short_read || plen < 0 || (sized && ((uint64_t)plen > have || have < HEADER_SIZE + (size_t)plen + 4))) {
    s = br_error_set(BR_ERR_PARSE, "load: %s: truncated: %zu bytes, the header promises a %lld-byte payload", path,
                     have, (long long)plen);
    goto done;
  }
  size_t len = HEADER_SIZE + (size_t)plen + 4;
  if (!(buf = br_alloc(path, len, 1))) { /* charged to the budget: the limit binds here */
    s = br_error_set(BR_ERR_NOMEM, "load: %s: out of memory", path);
    goto done;
  }
  memcpy(buf, head, HEADER_SIZE);
  got = HEADER_SIZE + fread(buf + HEADER_SIZE, 1, len - HEADER_SIZE, fp);
  if (ferror(fp)) {
    s = br_error_set(BR_ERR_IO, "load: %s: cannot read: %s", path, strerror(errno));
    goto done;
  }
  if (got < len) { /* a pipe, or a file that shrank while read */
    s = br_error_set(BR_ERR_PARSE, "load: %s: truncated: %zu bytes, the header promises a %lld-byte payload", path,
                     got, (long long)plen);
    goto done;
  }
  r = (reader){buf, len, HEADER_SIZE, 0};
  uint32_t want;
  memcpy(&want, buf + HEADER_SIZE + plen, 4);
  /* Fuzz builds skip the checksum (the libFuzzer convention), so mutated
   * payloads reach the parser below instead of stopping here. */
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
  if ((uint32_t)crc32(0L, buf, (uInt)(HEADER_SIZE + plen)) != want) {
    s = bad(path, "checksum mismatch: the file is corrupt");
    goto done;
  }
#else
  (void)want;
#endif
  r.len = HEADER_SIZE + (size_t)plen; /* the payload ends at the checksum */
  if (kind == BR_MODEL_LINEAR || kind == BR_MODEL_LOGISTIC) {
    double l2 = get_f64(&r), tol = get_f64(&r);
    int32_t intercept = get_i32(&r), max_iter = get_i32(&r), iters = get_i32(&r);
    int64_t d = get_i64(&r);
    double b = get_f64(&r);
    if (r.short_read || d < 0 || (uint64_t)d > (r.len - r.at) / sizeof(double)) {
      s = bad(path, "the weights do not fit the file");
      goto done;
    }
    m = br_calloc("model", 1, sizeof *m);
    double *w = br_alloc("model", (size_t)d, sizeof *w);
    if (!m || !w) {
      br_free(w);
      s = br_error_set(BR_ERR_NOMEM, "load: out of memory");
      goto done;
    }
    get(&r, w, (size_t)d * sizeof *w);
    *m = (br_model){.kind = (br_model_kind)kind, .l2 = l2, .tol = tol, .intercept = intercept, .max_iter = max_iter,
                    .fitted = 1, .iterations = iters, .d = d, .w = w, .b = b};
  } else if (kind == BR_MODEL_MLP) {
    br_mlp_options o;
    br_mlp_options_init(&o);
    o.nlayers = get_i32(&r);
    for (int i = 0; i < BR_MLP_MAX_LAYERS; i++) o.layers[i] = get_i32(&r);
    o.activation = (br_activation)get_i32(&r);
    o.output = (br_activation)get_i32(&r);
    o.loss = (br_loss)get_i32(&r);
    o.optimizer = (br_optimizer)get_i32(&r);
    o.lr = get_f64(&r);
    o.momentum = get_f64(&r);
    o.weight_decay = get_f64(&r);
    o.epochs = get_i32(&r);
    o.batch = get_i32(&r);
    o.seed = (uint64_t)get_i64(&r);
    o.shuffle = get_i32(&r);
    o.validation = get_f64(&r);
    o.patience = get_i32(&r);
    int64_t d = get_i64(&r), size = get_i64(&r);
    if (r.short_read || d < 1 || d > 1 << 20 || size < 0 || (uint64_t)size != (r.len - r.at) / sizeof(float)) {
      s = bad(path, "the network's shapes do not fit the file");
      goto done;
    }
    if ((s = br_mlp_new(&m, &o)) != BR_OK) {
      br_error_prefix("load: bad network options");
      goto done;
    }
    if ((s = mlp_restore(m, d, (const float *)(buf + r.at), (size_t)size)) != BR_OK) {
      br_error_prefix(path);
      br_error_prefix("load");
      goto done;
    }
  } else if (kind == BR_MODEL_GBDT) {
    if ((s = gbdt_restore(&m, buf + r.at, r.len - r.at, path)) != BR_OK) goto done;
  } else {
    s = bad(path, "unknown model kind");
    goto done;
  }
done:
  fclose(fp);
  br_free(buf);
  if (s != BR_OK) {
    br_model_free(m);
    return s;
  }
  *out = m;
  return BR_OK;
}
