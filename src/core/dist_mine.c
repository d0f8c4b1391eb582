/* Distributed baskets and mining: one item dictionary for all ranks
 * (br_dist_baskets_global); frequent itemsets by parallel FP-growth's
 * groups (br_dist_frequent_pfp; the default, br_dist_frequent, is in
 * dist_levels.c); and the pieces both share. Every rank ends with the
 * whole result. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bundle/memory.h"
#include "basket_build.h"
#include "dist_internal.h"

/* ---- a growable int32 buffer ---- */

int ibuf_push(ibuf *b, int32_t x) {
  if (b->n == b->cap) {
    int64_t cap = b->cap ? b->cap * 2 : 1024;
    int32_t *v = br_realloc("dist", b->v, (size_t)cap, sizeof *v);
    if (!v) return 0;
    b->v = v;
    b->cap = cap;
  }
  b->v[b->n++] = x;
  return 1;
}

/* ---- one dictionary ---- */

typedef struct label {
  const char *s;
  int32_t len;
} label;

static int cmp_label(const void *a, const void *b) {
  const label *x = a, *y = b;
  int32_t m = x->len < y->len ? x->len : y->len;
  int c = memcmp(x->s, y->s, (size_t)m);
  return c ? c : (x->len > y->len) - (x->len < y->len);
}

int dist_cmp_i32(const void *a, const void *b) {
  int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
  return (x > y) - (x < y);
}

/* The sorted union of every rank's labels, as a new dictionary. */
static br_status global_labels(strdict **out, br_comm *c, const br_baskets *b) {
  int32_t G = br_baskets_nitems(b);
  size_t bytes = 0;
  for (int32_t i = 0; i < G; i++) {
    size_t len;
    br_baskets_label(b, i, &len);
    bytes += sizeof(int32_t) + len;
  }
  char *mine = br_alloc("dist", bytes, 1), *all = NULL;
  int64_t *lens = NULL;
  label *ls = NULL;
  strdict *d = NULL;
  if (!mine) return br_error_set(BR_ERR_NOMEM, "dist baskets: out of memory");
  char *w = mine;
  for (int32_t i = 0; i < G; i++) { /* each label: its length, then its bytes */
    size_t len;
    const char *s = br_baskets_label(b, i, &len);
    int32_t l = (int32_t)len;
    memcpy(w, &l, sizeof l);
    memcpy(w + sizeof l, s, len);
    w += sizeof l + len;
  }
  br_status st = br_comm_gather(c, mine, (int64_t)bytes, -1, (void **)&all, &lens);
  br_free(mine);
  if (st != BR_OK) return st;
  int64_t total = 0, count = 0;
  for (int r = 0; r < c->size; r++) total += lens[r];
  for (int64_t at = 0; at < total; count++) {
    int32_t l;
    memcpy(&l, all + at, sizeof l);
    at += (int64_t)sizeof l + l;
  }
  ls = br_alloc("dist", (size_t)count, sizeof *ls);
  d = strdict_new();
  if (!ls || !d) {
    st = br_error_set(BR_ERR_NOMEM, "dist baskets: out of memory");
    goto done;
  }
  int64_t k = 0;
  for (int64_t at = 0; at < total; k++) {
    memcpy(&ls[k].len, all + at, sizeof ls[k].len);
    ls[k].s = all + at + sizeof(int32_t);
    at += (int64_t)sizeof(int32_t) + ls[k].len;
  }
  qsort(ls, (size_t)count, sizeof *ls, cmp_label);
  for (k = 0; k < count; k++)
    if ((k == 0 || cmp_label(&ls[k - 1], &ls[k]) != 0) && strdict_intern(d, ls[k].s, (size_t)ls[k].len) < 0) {
      st = br_error_set(BR_ERR_NOMEM, "dist baskets: out of memory");
      goto done;
    }
  *out = d;
  d = NULL;
done:
  strdict_release(d);
  br_free(ls);
  br_free_out(all);
  br_free_out(lens);
  return st;
}

br_status br_dist_baskets_global(br_baskets **out, br_comm *c, const br_baskets *b) {
  strdict *d = NULL;
  br_status st = global_labels(&d, c, b);
  if (st != BR_OK) return st;
  int32_t G = br_baskets_nitems(b);
  int32_t *map = br_alloc("dist", (size_t)G, sizeof *map);
  if (!map) {
    strdict_release(d);
    return br_error_set(BR_ERR_NOMEM, "dist baskets: out of memory");
  }
  for (int32_t i = 0; i < G; i++) {
    size_t len;
    const char *s = br_baskets_label(b, i, &len);
    map[i] = strdict_find(d, s, len);
  }
  st = baskets_relabel(out, b, d, map);
  br_free(map);
  strdict_release(d);
  if (st == BR_ERR_NOMEM) return br_error_set(BR_ERR_NOMEM, "dist baskets: out of memory");
  return st;
}

/* ---- frequent itemsets ---- */

br_status dist_check_mine_options(const br_mine_options **op, br_mine_options *dflt) {
  if (!*op) {
    br_mine_options_init(dflt);
    *op = dflt;
  }
  const br_mine_options *o = *op;
  const char *what = o->top ? "top" : o->closed ? "closed" : o->maximal ? "maximal" : o->ninclude ? "include"
                     : o->nexclude ? "exclude" : o->weights ? "weights" : o->item_weights ? "item_weights" : NULL;
  if (what) return br_error_set(BR_ERR_ARG, "dist frequent: option '%s' is not supported across ranks", what);
  if (o->min_count < 0) return br_error_set(BR_ERR_ARG, "dist frequent: min_count %lld is negative", (long long)o->min_count);
  if (o->min_count == 0 && !(o->min_support > 0 && o->min_support <= 1))
    return br_error_set(BR_ERR_ARG, "dist frequent: min_support %g is not in (0, 1] (or give min_count)", o->min_support);
  return BR_OK;
}

/* qsort has no context argument: the keys of the sort under way (the
 * collectives around these sorts are not thread-safe either) */
static const int32_t *sort_pos;
static const int64_t *sort_sup;

static int cmp_by_pos(const void *a, const void *b) {
  int32_t x = sort_pos[*(const int32_t *)a], y = sort_pos[*(const int32_t *)b];
  return (x > y) - (x < y);
}

/* count descending, then id ascending */
static int cmp_by_support(const void *a, const void *b) {
  int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
  if (sort_sup[x] != sort_sup[y]) return sort_sup[x] < sort_sup[y] ? 1 : -1;
  return (x > y) - (x < y);
}

/* The group-dependent shards of PFP: for each basket (frequent items only,
 * most frequent first) and each group among its items, the prefix up to
 * that group's last item goes to the group's rank, as [len, items...]. */
static br_status shard_baskets(ibuf *to, const br_baskets_view *b, const int32_t *pos, int size) {
  int32_t *row = br_alloc("dist", (size_t)b->nitems, sizeof *row);
  unsigned char *sent = br_calloc("dist", (size_t)size, 1);
  if (!row || !sent) goto oom;
  sort_pos = pos;
  for (int64_t k = 0; k < b->n; k++) {
    int32_t m = 0;
    for (int64_t p = b->off[k]; p < b->off[k + 1]; p++)
      if (pos[b->items[p]] >= 0) row[m++] = b->items[p];
    qsort(row, (size_t)m, sizeof *row, cmp_by_pos);
    for (int32_t j = m - 1; j >= 0; j--) {
      int g = pos[row[j]] % size;
      if (sent[g]) continue;
      sent[g] = 1;
      if (!ibuf_push(&to[g], j + 1)) goto oom;
      for (int32_t q = 0; q <= j; q++)
        if (!ibuf_push(&to[g], row[q])) goto oom;
    }
    for (int32_t j = 0; j < m; j++) sent[pos[row[j]] % size] = 0;
  }
  br_free(row);
  br_free(sent);
  return BR_OK;
oom:
  br_free(row);
  br_free(sent);
  return br_error_set(BR_ERR_NOMEM, "dist frequent: out of memory");
}

/* Baskets from received [len, items...] records, labelled by dictionary d. */
static br_status shard_from_records(br_baskets **out, const int32_t *rec, int64_t nint, const br_baskets *like) {
  int64_t n = 0;
  for (int64_t at = 0; at < nint; at += 1 + rec[at]) n++;
  /* exactly the room needed: the arrays never grow */
  baskets_builder *bb = baskets_builder_like(like, n, nint - n);
  if (!bb) return br_error_set(BR_ERR_NOMEM, "dist frequent: out of memory");
  for (int64_t at = 0; at < nint; at += 1 + rec[at]) {
    int32_t *row = baskets_builder_room(bb, rec[at]);
    if (!row) {
      baskets_builder_free(bb);
      return br_error_set(BR_ERR_NOMEM, "dist frequent: out of memory");
    }
    memcpy(row, rec + at + 1, (size_t)rec[at] * sizeof *row);
    qsort(row, (size_t)rec[at], sizeof *row, dist_cmp_i32);
    baskets_builder_close(bb, rec[at]);
  }
  *out = baskets_builder_finish(bb);
  return BR_OK;
}

int64_t dist_min_count(const br_mine_options *o, int64_t total) {
  if (o->min_count > 0) return o->min_count;
  /* as br_baskets_frequent: the least c >= min_support x n, in double */
  int64_t minc = (int64_t)ceil(o->min_support * (double)total);
  return minc < 1 ? 1 : minc;
}

br_status dist_itemsets_from_records(br_itemsets **out, const int32_t *rec, int64_t nint, int64_t total,
                                     const int64_t *sup, int32_t G) {
  br_itemsets *res = itemsets_new(total, G, 0);
  if (!res) return br_error_set(BR_ERR_NOMEM, "dist frequent: out of memory");
  itemsets_set_item_counts(res, sup);
  for (int64_t at = 0; at < nint; at += 3 + rec[at]) {
    int64_t cnt = (int64_t)rec[at + 1] | ((int64_t)rec[at + 2] << 31);
    if (!itemsets_push(res, rec + at + 3, rec[at], cnt, NAN)) {
      br_itemsets_free(res);
      return br_error_set(BR_ERR_NOMEM, "dist frequent: out of memory");
    }
  }
  br_itemsets_sort_by_count(res);
  *out = res;
  return BR_OK;
}

int dist_push_record(ibuf *to, const int32_t *items, int size, int64_t count) {
  if (!ibuf_push(to, size) || !ibuf_push(to, (int32_t)(count & 0x7fffffff)) || !ibuf_push(to, (int32_t)(count >> 31)))
    return 0;
  for (int q = 0; q < size; q++)
    if (!ibuf_push(to, items[q])) return 0;
  return 1;
}

br_status br_dist_frequent_pfp(br_itemsets **out, br_comm *c, const br_baskets *b, const br_mine_options *o) {
  br_mine_options dflt;
  br_status st = dist_check_mine_options(&o, &dflt);
  if (st != BR_OK) return st;
  br_baskets_view bv = br_baskets_view_of(b);
  int size = c->size, G = bv.nitems;
  int64_t n = bv.n;
  int64_t *sup = br_calloc("dist", (size_t)G + 1, sizeof *sup);
  int32_t *pos = br_alloc("dist", (size_t)G, sizeof *pos), *order = br_alloc("dist", (size_t)G, sizeof *order);
  ibuf *to = br_calloc("dist", (size_t)size, sizeof *to), mine = {0};
  int64_t *sendlens = br_calloc("dist", (size_t)size, sizeof *sendlens), *recvlens = NULL, *lens = NULL;
  char *send = NULL;
  int32_t *recv = NULL;
  int64_t *all = NULL;
  br_baskets *shard = NULL;
  br_itemsets *local = NULL;
  if (!sup || !pos || !order || !to || !sendlens) goto oom;
  /* level 1 by count distribution: local supports and basket count, one allreduce */
  br_baskets_item_support(b, sup);
  sup[G] = n;
  if ((st = br_comm_allreduce_i64(c, sup, (int64_t)G + 1, BR_COMM_SUM)) != BR_OK) goto done;
  int64_t total = sup[G], minc = dist_min_count(o, total);
  int32_t nf = 0;
  for (int32_t i = 0; i < G; i++)
    if (sup[i] >= minc) order[nf++] = i;
  /* frequent items by count descending (ties by id); dealt to groups round-robin */
  sort_sup = sup;
  qsort(order, (size_t)nf, sizeof *order, cmp_by_support);
  for (int32_t i = 0; i < G; i++) pos[i] = -1;
  for (int32_t i = 0; i < nf; i++) pos[order[i]] = i;
  if ((st = shard_baskets(to, &bv, pos, size)) != BR_OK) goto done;
  int64_t bytes = 0;
  for (int r = 0; r < size; r++) bytes += sendlens[r] = to[r].n * (int64_t)sizeof(int32_t);
  if (!(send = br_alloc("dist", (size_t)bytes, 1))) goto oom;
  for (int r = 0, at = 0; r < size; at += (int)sendlens[r], r++) {
    if (to[r].n) memcpy(send + at, to[r].v, (size_t)sendlens[r]);
    br_free(to[r].v);
    to[r].v = NULL;
  }
  if ((st = br_comm_alltoall(c, send, sendlens, (void **)&recv, &recvlens)) != BR_OK) goto done;
  br_free(send);
  send = NULL;
  int64_t nint = 0;
  for (int r = 0; r < size; r++) nint += recvlens[r] / (int64_t)sizeof(int32_t);
  if ((st = shard_from_records(&shard, recv, nint, b)) != BR_OK) goto done;
  br_free_out(recv);
  recv = NULL;
  /* this rank's groups: the itemsets whose rarest item is dealt to it */
  br_mine_options lo;
  br_mine_options_init(&lo);
  lo.min_count = minc;
  lo.min_size = o->min_size;
  lo.max_size = o->max_size;
  lo.max_itemsets = o->max_itemsets;
  if ((st = br_baskets_frequent(&local, shard, &lo)) != BR_OK) goto done;
  for (int64_t k = 0, nl = br_itemsets_count(local); k < nl; k++) {
    int sz;
    const int32_t *it = br_itemsets_items(local, k, &sz);
    int32_t last = -1;
    for (int q = 0; q < sz; q++)
      if (pos[it[q]] > last) last = pos[it[q]];
    if (last % size != c->rank) continue;
    if (!dist_push_record(&mine, it, sz, br_itemsets_support_count(local, k))) goto oom;
  }
  br_itemsets_free(local);
  local = NULL;
  /* every rank's share, to every rank */
  if ((st = br_comm_gather(c, mine.v, mine.n * (int64_t)sizeof(int32_t), -1, (void **)&all, &lens)) != BR_OK) goto done;
  int64_t got = 0;
  for (int r = 0; r < size; r++) got += lens[r] / (int64_t)sizeof(int32_t);
  st = dist_itemsets_from_records(out, (const int32_t *)all, got, total, sup, G);
  goto done;
oom:
  st = br_error_set(BR_ERR_NOMEM, "dist frequent: out of memory");
done:
  for (int r = 0; to && r < size; r++) br_free(to[r].v);
  br_free(to);
  br_free(mine.v);
  br_free(sup);
  br_free(pos);
  br_free(order);
  br_free(sendlens);
  br_free_out(recvlens);
  br_free_out(lens);
  br_free(send);
  br_free_out(recv);
  br_free_out(all);
  br_baskets_free(shard);
  br_itemsets_free(local);
  return st;
}
