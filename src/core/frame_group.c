/* Group-by with aggregations, and hash joins. Both reduce each row's key
 * columns to a vector of 64-bit words and put equal vectors in one group
 * through the small hash table below. */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "deadline_internal.h"
#include "frame_internal.h"
#include "bundle/memory.h"
#include "memory_internal.h"

static const char *const agg_names[] = {"count", "sum", "mean", "min", "max", "nunique", "first"};
static_assert(sizeof agg_names / sizeof *agg_names == BR_AGG_COUNT_OP, "one name per aggregation");

const char *br_agg_op_name(br_agg_op op) {
  return (unsigned)op < BR_AGG_COUNT_OP ? agg_names[op] : "?";
}

br_status br_agg_op_parse(br_agg_op *op, const char *s) {
  for (int i = 0; i < BR_AGG_COUNT_OP; i++)
    if (strcmp(s, agg_names[i]) == 0) {
      *op = (br_agg_op)i;
      return BR_OK;
    }
  return br_error_set(BR_ERR_ARG,
                      "unknown aggregation '%s' (count, sum, mean, min, max, nunique, first)", s);
}

/* ---- groups of equal key vectors ---- */

typedef struct rowtab {
  const uint64_t *keys; /* the inserted side's key matrix, w words a row */
  int w;
  int64_t *slots;       /* group id or -1 */
  uint64_t mask;
  int64_t *rep;         /* a row of each group */
  int64_t ng;
} rowtab;

static uint64_t hash_words(const uint64_t *k, int w) {
  uint64_t h = 0x9e3779b97f4a7c15ULL;
  for (int i = 0; i < w; i++) {
    h ^= k[i] + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    h *= 0xbf58476d1ce4e5b9ULL;
  }
  return h ^ (h >> 31);
}

static int rowtab_init(rowtab *t, const uint64_t *keys, int w, int64_t n) {
  uint64_t ns = 16;
  while (ns < (uint64_t)n * 2) ns *= 2;
  t->keys = keys;
  t->w = w;
  t->mask = ns - 1;
  t->ng = 0;
  t->slots = br_alloc("group_by", ns, sizeof *t->slots);
  t->rep = br_alloc("group_by", (size_t)n, sizeof *t->rep);
  if (!t->slots || !t->rep) return 0;
  memset(t->slots, 0xff, ns * sizeof *t->slots);
  return 1;
}

static void rowtab_free(rowtab *t) {
  br_free(t->slots);
  br_free(t->rep);
}

/* The group of key vector k (w words), or -1; *slot is where it would go. */
static int64_t rowtab_find(const rowtab *t, const uint64_t *k, uint64_t *slot) {
  for (uint64_t i = hash_words(k, t->w) & t->mask;; i = (i + 1) & t->mask) {
    int64_t g = t->slots[i];
    if (g < 0) {
      *slot = i;
      return -1;
    }
    if (memcmp(t->keys + (size_t)t->rep[g] * (size_t)t->w, k, (size_t)t->w * 8) == 0) return g;
  }
}

static int64_t rowtab_insert(rowtab *t, int64_t row) {
  uint64_t slot;
  const uint64_t *k = t->keys + (size_t)row * (size_t)t->w;
  int64_t g = rowtab_find(t, k, &slot);
  if (g >= 0) return g;
  t->slots[slot] = t->ng;
  t->rep[t->ng] = row;
  return t->ng++;
}

/* ---- group-by ---- */

/* Key words of each row: (is-null, value key) per key column. NULL when
 * out of memory, or (*stopped set) when the deadline passed: writing the
 * keys of millions of rows is the first touch of their pages. */
static uint64_t *group_keys(const br_frame *f, const int *kc, int nk, int *stopped) {
  int w = 2 * nk;
  uint64_t *keys = br_alloc("group_by", mem_mul((size_t)f->nrows, (size_t)w), 8);
  if (!keys) return NULL;
  int64_t work = 0;
  for (int64_t i = 0; i < f->nrows; i++)
    for (int k = 0; k < nk; k++) {
      if (k == 0 && deadline_poll(&work, 16 * (int64_t)nk)) {
        br_free(keys);
        *stopped = 1;
        return NULL;
      }
      const br_column *c = f->cols[kc[k]];
      int valid = column_valid(c, i);
      keys[i * w + 2 * k] = !valid;
      keys[i * w + 2 * k + 1] = valid ? column_key(c, i) : 0;
    }
  return keys;
}

static br_status agg_column(br_column **out, const br_frame *f, const br_agg *a, const int64_t *gid,
                            int64_t ng, const int64_t *first_row) {
  const br_column *c = NULL;
  const char *fn = agg_names[a->op];
  if (a->column) {
    int ci;
    br_status s = frame_require(f, fn, a->column, &ci);
    if (s != BR_OK) return s;
    c = f->cols[ci];
  } else if (a->op != BR_AGG_COUNT) {
    return br_error_set(BR_ERR_ARG, "agg: '%s' needs a column ({\"%s\", \"column\"})", a->name, fn);
  }
  int64_t n = f->nrows;
  int numeric = c && c->type != BR_DTYPE_STR;
  if (!numeric && (a->op == BR_AGG_SUM || a->op == BR_AGG_MEAN || a->op == BR_AGG_MIN ||
                   a->op == BR_AGG_MAX))
    return br_error_set(BR_ERR_ARG, "agg: %s of column '%s' needs numbers, it is %s", fn,
                        a->column, br_dtype_name(c->type));
  if (c && c->type == BR_DTYPE_DATETIME && (a->op == BR_AGG_SUM || a->op == BR_AGG_MEAN))
    return br_error_set(BR_ERR_ARG, "agg: %s of datetime column '%s' has no meaning", fn, a->column);

  if (a->op == BR_AGG_FIRST) {
    int64_t *rows = br_alloc("group_by", (size_t)ng, sizeof *rows);
    if (!rows) return br_error_set(BR_ERR_NOMEM, "agg: out of memory");
    for (int64_t g = 0; g < ng; g++) rows[g] = -1;
    for (int64_t i = 0; i < n; i++)
      if (rows[gid[i]] < 0 && column_valid(c, i)) rows[gid[i]] = i;
    br_status s = br_column_take(out, c, rows, ng);
    br_free(rows);
    return s;
  }

  if (a->op == BR_AGG_COUNT || a->op == BR_AGG_NUNIQUE) {
    br_column *r;
    br_status s = column_alloc(&r, BR_DTYPE_I64, ng, 0, NULL);
    if (s != BR_OK) return s;
    int64_t *cnt = r->data;
    if (a->op == BR_AGG_COUNT) {
      for (int64_t i = 0; i < n; i++) cnt[gid[i]] += !c || column_valid(c, i);
    } else {
      /* distinct (group, value) pairs */
      uint64_t *kv = br_alloc("group_by", mem_mul((size_t)n, 2), 8);
      int64_t *rows = br_alloc("group_by", (size_t)n, sizeof *rows);
      rowtab t;
      memset(&t, 0, sizeof t);
      int64_t m = 0;
      if (kv && rows)
        for (int64_t i = 0; i < n; i++)
          if (column_valid(c, i)) {
            kv[2 * m] = (uint64_t)gid[i];
            kv[2 * m + 1] = column_key(c, i);
            rows[m++] = i;
          }
      if (!kv || !rows || !rowtab_init(&t, kv, 2, m)) {
        br_free(kv);
        br_free(rows);
        rowtab_free(&t);
        br_column_release(r);
        return br_error_set(BR_ERR_NOMEM, "agg: out of memory");
      }
      for (int64_t j = 0; j < m; j++) {
        int64_t before = t.ng;
        rowtab_insert(&t, j);
        if (t.ng > before) cnt[gid[rows[j]]]++;
      }
      br_free(kv);
      br_free(rows);
      rowtab_free(&t);
    }
    *out = r;
    return BR_OK;
  }

  /* sum, mean, min, max */
  br_dtype rt = a->op == BR_AGG_MEAN ? BR_DTYPE_F64
              : (a->op == BR_AGG_SUM && (c->type == BR_DTYPE_I64 || c->type == BR_DTYPE_BOOL))
                  ? BR_DTYPE_I64
              : (a->op == BR_AGG_SUM) ? BR_DTYPE_F64
              : c->type;
  br_column *r;
  br_status s = column_alloc(&r, rt, ng, 1, NULL);
  int64_t *seen = br_calloc("group_by", (size_t)ng, sizeof *seen);
  if (s != BR_OK || !seen) {
    br_column_release(s == BR_OK ? r : NULL);
    br_free(seen);
    return s != BR_OK ? s : br_error_set(BR_ERR_NOMEM, "agg: out of memory");
  }
  for (int64_t i = 0; i < n; i++) {
    if (!column_valid(c, i)) continue;
    int64_t g = gid[i];
    int fresh = seen[g]++ == 0;
    if (rt == BR_DTYPE_F64) {
      double v = br_column_number(c, i), *acc = (double *)r->data + g;
      if (a->op == BR_AGG_MIN) *acc = fresh || v < *acc ? v : *acc;
      else if (a->op == BR_AGG_MAX) *acc = fresh || v > *acc ? v : *acc;
      else *acc += v;
    } else if (rt == BR_DTYPE_BOOL) {
      uint8_t v = ((const uint8_t *)c->data)[i], *acc = (uint8_t *)r->data + g;
      *acc = fresh ? v : (a->op == BR_AGG_MIN ? (*acc < v ? *acc : v) : (*acc > v ? *acc : v));
    } else { /* i64 or datetime (min/max), or an i64/bool sum */
      int64_t v = c->type == BR_DTYPE_BOOL ? ((const uint8_t *)c->data)[i]
                                           : ((const int64_t *)c->data)[i];
      int64_t *acc = (int64_t *)r->data + g;
      if (a->op == BR_AGG_MIN) *acc = fresh || v < *acc ? v : *acc;
      else if (a->op == BR_AGG_MAX) *acc = fresh || v > *acc ? v : *acc;
      else *acc += v;
    }
  }
  for (int64_t g = 0; g < ng; g++) {
    if (a->op == BR_AGG_MEAN && seen[g]) ((double *)r->data)[g] /= (double)seen[g];
    if (!seen[g] && a->op != BR_AGG_SUM) column_set_null(r, g);
  }
  (void)first_row;
  column_finish_nulls(r);
  br_free(seen);
  *out = r;
  return BR_OK;
}

br_status br_frame_group_by(br_frame **out, const br_frame *f, const char *const *keys,
                            int nkeys, const br_agg *aggs, int naggs) {
  if (nkeys < 1) return br_error_set(BR_ERR_ARG, "group_by: no key columns");
  int *kc = br_alloc("group_by", (size_t)nkeys, sizeof *kc);
  int64_t n = f->nrows > 0 ? f->nrows : 1;
  int64_t *gid = br_alloc("group_by", (size_t)n, sizeof *gid);
  int ncols = nkeys + naggs;
  br_column **cols = br_calloc("group_by", (size_t)ncols, sizeof *cols);
  const char **names = br_calloc("group_by", (size_t)ncols, sizeof *names);
  uint64_t *kv = NULL;
  rowtab t;
  memset(&t, 0, sizeof t);
  br_status s = BR_OK;
  if (!kc || !gid || !cols || !names) {
    s = br_error_set(BR_ERR_NOMEM, "group_by: out of memory");
    goto done;
  }
  for (int k = 0; k < nkeys && s == BR_OK; k++) s = frame_require(f, "group_by", keys[k], &kc[k]);
  if (s != BR_OK) goto done;
  int stopped = 0;
  kv = group_keys(f, kc, nkeys, &stopped);
  if (stopped || br_deadline_passed()) {
    s = br_deadline_stop("group_by", 0, NULL);
    goto done;
  }
  if (!kv || !rowtab_init(&t, kv, 2 * nkeys, f->nrows)) {
    s = br_error_set(BR_ERR_NOMEM, "group_by: out of memory");
    goto done;
  }
  int64_t work = 0;
  for (int64_t i = 0; i < f->nrows; i++) {
    gid[i] = rowtab_insert(&t, i);
    if (deadline_poll(&work, 8 * (int64_t)nkeys + 8)) {
      s = br_deadline_stop("group_by", i, "rows");
      goto done;
    }
  }
  for (int k = 0; k < nkeys && s == BR_OK; k++) {
    s = br_column_take(&cols[k], f->cols[kc[k]], t.rep, t.ng);
    names[k] = keys[k];
  }
  for (int a = 0; a < naggs && s == BR_OK; a++) {
    if (br_deadline_passed()) /* each aggregation is one pass over the rows */
      s = br_deadline_stop("group_by", a, "aggregations");
    else if ((unsigned)aggs[a].op >= BR_AGG_COUNT_OP)
      s = br_error_set(BR_ERR_ARG, "agg: bad aggregation %d", (int)aggs[a].op);
    else
      s = agg_column(&cols[nkeys + a], f, &aggs[a], gid, t.ng, t.rep);
    names[nkeys + a] = aggs[a].name;
  }
  if (s == BR_OK) s = br_frame_new(out, ncols, names, cols);
done:
  if (cols)
    for (int i = 0; i < ncols; i++) br_column_release(cols[i]);
  br_free(cols);
  br_free(names);
  br_free(kc);
  br_free(gid);
  br_free(kv);
  rowtab_free(&t);
  return s;
}

/* ---- join ---- */

typedef struct join_key {
  const br_column *l, *r;
  int32_t *rmap; /* STR: right code -> left code, or -1 (no such text on the left) */
} join_key;

/* Key words for one side: numeric keys compare by value (i64 and f64 alike),
 * STR keys by the left dictionary's code. Rows with a null or an unmatched
 * key get ok[i] = 0 and never match. */
static void join_words(const join_key *jk, int nk, int right, int64_t nrows, uint64_t *kw,
                       uint8_t *ok) {
  for (int64_t i = 0; i < nrows; i++) {
    ok[i] = 1;
    for (int k = 0; k < nk; k++) {
      const br_column *c = right ? jk[k].r : jk[k].l;
      uint64_t w = 0;
      if (!column_valid(c, i)) {
        ok[i] = 0;
      } else if (c->type == BR_DTYPE_STR) {
        int32_t code = ((const int32_t *)c->data)[i];
        if (right) code = jk[k].rmap[code];
        if (code < 0) ok[i] = 0;
        w = (uint64_t)(uint32_t)code;
      } else {
        double v = br_column_number(c, i);
        if (v == 0) v = 0;
        memcpy(&w, &v, sizeof w);
      }
      kw[i * nk + k] = w;
    }
  }
}

static int append_pair(int64_t **l, int64_t **r, int64_t *n, int64_t *cap, int64_t li, int64_t ri) {
  if (*n == *cap) {
    int64_t c2 = *cap ? *cap * 2 : 1024;
    int64_t *nl = br_realloc("group_by", *l, (size_t)c2, sizeof *nl);
    if (!nl) return 0;
    *l = nl;
    int64_t *nr = br_realloc("group_by", *r, (size_t)c2, sizeof *nr);
    if (!nr) return 0;
    *r = nr;
    *cap = c2;
  }
  (*l)[*n] = li;
  (*r)[*n] = ri;
  (*n)++;
  return 1;
}

br_status br_frame_join(br_frame **out, const br_frame *left, const br_frame *right,
                        const char *const *on, int non, br_join_how how) {
  if (non < 1) return br_error_set(BR_ERR_ARG, "join: no key columns (on = ...)");
  if (how != BR_JOIN_INNER && how != BR_JOIN_LEFT) return br_error_set(BR_ERR_ARG, "join: bad join kind");
  br_status s = BR_OK;
  join_key *jk = br_calloc("group_by", (size_t)non, sizeof *jk);
  int *rkc = br_calloc("group_by", (size_t)non, sizeof *rkc);
  int64_t nl = left->nrows, nr = right->nrows;
  uint64_t *lw = br_alloc("group_by", mem_mul((size_t)nl, (size_t)non), 8);
  uint64_t *rw = br_alloc("group_by", mem_mul((size_t)nr, (size_t)non), 8);
  uint8_t *lok = br_alloc("group_by", (size_t)nl, 1), *rok = br_alloc("group_by", (size_t)nr, 1);
  int64_t *rgid = br_alloc("group_by", (size_t)nr, sizeof *rgid);
  int64_t *start = NULL, *order = NULL, *lrows = NULL, *rrows = NULL, npairs = 0, cap = 0;
  rowtab t;
  memset(&t, 0, sizeof t);
  if (!jk || !rkc || !lw || !rw || !lok || !rok || !rgid) {
    s = br_error_set(BR_ERR_NOMEM, "join: out of memory");
    goto done;
  }
  for (int k = 0; k < non && s == BR_OK; k++) {
    int li, ri;
    if ((s = frame_require(left, "join (left)", on[k], &li)) != BR_OK) break;
    if ((s = frame_require(right, "join (right)", on[k], &ri)) != BR_OK) break;
    jk[k].l = left->cols[li];
    jk[k].r = right->cols[ri];
    rkc[k] = ri;
    int ls = jk[k].l->type == BR_DTYPE_STR, rs = jk[k].r->type == BR_DTYPE_STR;
    if (ls != rs) {
      s = br_error_set(BR_ERR_ARG, "join: key '%s' is %s on the left and %s on the right", on[k],
                       br_dtype_name(jk[k].l->type), br_dtype_name(jk[k].r->type));
      break;
    }
    if (ls) { /* the two sides have their own dictionaries: map right onto left */
      const strdict *rd = jk[k].r->dict;
      jk[k].rmap = br_alloc("group_by", (size_t)rd->n, sizeof *jk[k].rmap);
      if (!jk[k].rmap) {
        s = br_error_set(BR_ERR_NOMEM, "join: out of memory");
        break;
      }
      for (int32_t c = 0; c < rd->n; c++) {
        size_t len;
        const char *txt = strdict_get(rd, c, &len);
        jk[k].rmap[c] = strdict_find(jk[k].l->dict, txt, len);
      }
    }
  }
  if (s != BR_OK) goto done;
  join_words(jk, non, 0, nl, lw, lok);
  join_words(jk, non, 1, nr, rw, rok);

  /* Group right rows by key, then lay each group's rows out contiguously in
   * right's order (counting sort), so a probe walks one run. */
  if (!rowtab_init(&t, rw, non, nr)) {
    s = br_error_set(BR_ERR_NOMEM, "join: out of memory");
    goto done;
  }
  for (int64_t j = 0; j < nr; j++) rgid[j] = rok[j] ? rowtab_insert(&t, j) : -1;
  start = br_calloc("group_by", (size_t)t.ng + 1, sizeof *start);
  order = br_alloc("group_by", (size_t)nr, sizeof *order);
  if (!start || !order) {
    s = br_error_set(BR_ERR_NOMEM, "join: out of memory");
    goto done;
  }
  for (int64_t j = 0; j < nr; j++)
    if (rgid[j] >= 0) start[rgid[j] + 1]++;
  for (int64_t g = 0; g < t.ng; g++) start[g + 1] += start[g];
  {
    int64_t *fill = br_alloc("group_by", (size_t)t.ng, sizeof *fill);
    if (!fill) {
      s = br_error_set(BR_ERR_NOMEM, "join: out of memory");
      goto done;
    }
    memcpy(fill, start, (size_t)t.ng * sizeof *fill);
    for (int64_t j = 0; j < nr; j++)
      if (rgid[j] >= 0) order[fill[rgid[j]]++] = j;
    br_free(fill);
  }
  /* a key shared by 20,000 rows on each side is 4e8 pairs: the deadline
   * is polled per left row, weighted by the pairs it makes */
  int64_t work = 0;
  for (int64_t i = 0; i < nl; i++) {
    int64_t g = -1;
    uint64_t slot;
    if (lok[i]) g = rowtab_find(&t, lw + (size_t)i * (size_t)non, &slot);
    if (deadline_poll(&work, (g >= 0 ? start[g + 1] - start[g] : 0) + 1)) {
      s = br_deadline_stop("join", npairs, "rows joined");
      goto done;
    }
    int okp = 1;
    if (g >= 0) {
      for (int64_t p = start[g]; p < start[g + 1] && okp; p++)
        okp = append_pair(&lrows, &rrows, &npairs, &cap, i, order[p]);
    } else if (how == BR_JOIN_LEFT) {
      okp = append_pair(&lrows, &rrows, &npairs, &cap, i, -1);
    }
    if (!okp) {
      s = br_error_set(BR_ERR_NOMEM, "join: out of memory (%lld rows so far)", (long long)npairs);
      goto done;
    }
  }
  {
    /* Output: left's columns, then right's non-key columns. */
    int nout = left->ncols + right->ncols - non;
    br_column **cols = br_calloc("group_by", (size_t)nout, sizeof *cols);
    char **names = br_calloc("group_by", (size_t)nout, sizeof *names);
    int m = 0;
    if (!cols || !names) s = br_error_set(BR_ERR_NOMEM, "join: out of memory");
    for (int i = 0; s == BR_OK && i < left->ncols; i++, m++) {
      s = br_column_take(&cols[m], left->cols[i], lrows, npairs);
      names[m] = br_strdup("group_by", left->names[i]);
    }
    for (int j = 0; s == BR_OK && j < right->ncols; j++) {
      int is_key = 0;
      for (int k = 0; k < non; k++) is_key |= rkc[k] == j;
      if (is_key) continue;
      s = br_column_take(&cols[m], right->cols[j], rrows, npairs);
      const char *nm = right->names[j];
      size_t len = strlen(nm);
      names[m] = br_alloc("group_by", len + 7, 1);
      if (names[m]) {
        memcpy(names[m], nm, len + 1);
        if (br_frame_find(left, nm) >= 0) memcpy(names[m] + len, "_right", 7);
      }
      m++;
    }
    for (int i = 0; s == BR_OK && i < m; i++)
      if (!names[i]) s = br_error_set(BR_ERR_NOMEM, "join: out of memory");
    if (s == BR_OK) s = br_frame_new(out, m, (const char *const *)names, cols);
    if (s == BR_OK && m == 0) (*out)->nrows = npairs;
    for (int i = 0; cols && names && i < nout; i++) {
      br_column_release(cols[i]);
      br_free(names[i]);
    }
    br_free(cols);
    br_free(names);
  }
done:
  if (jk)
    for (int k = 0; k < non; k++) br_free(jk[k].rmap);
  br_free(jk);
  br_free(rkc);
  br_free(lw);
  br_free(rw);
  br_free(lok);
  br_free(rok);
  br_free(rgid);
  br_free(start);
  br_free(order);
  br_free(lrows);
  br_free(rrows);
  rowtab_free(&t);
  return s;
}
