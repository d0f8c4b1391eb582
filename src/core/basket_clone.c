/* Deep copies of baskets and itemsets: every array and dictionary copied,
 * nothing shared with the original, so either can be freed (or its Lua
 * state closed) while the other is in use. bundle.sandbox.run hands bundle
 * objects across its boundary this way. */
#include <string.h>

#include "basket_internal.h"
#include "bundle/memory.h"
#include "memory_internal.h"

/* As mem_dup, in a block of room >= n elements (for arrays that grow). */
static int dup_room(const char *what, void *dst, const void *src, size_t n, size_t room, size_t size) {
  void *p = NULL;
  if (src && (p = br_alloc(what, room, size)) && n) memcpy(p, src, n * size);
  memcpy(dst, &p, sizeof p);
  return !src || p;
}

static int dup_dict(strdict **dst, const strdict *src) {
  *dst = src ? strdict_copy(src) : NULL;
  return !src || *dst;
}

br_status br_baskets_clone(br_baskets **out, const br_baskets *b) {
  br_baskets *c = br_calloc("baskets", 1, sizeof *c);
  if (!c) return br_error_set(BR_ERR_NOMEM, "baskets: out of memory for a copy");
  c->n = b->n;
  c->nitems = b->nitems;
  int64_t len = b->off[b->n];
  int ok = mem_dup(&c->off, "baskets", b->off, (size_t)b->n + 1, sizeof *c->off) &&
           mem_dup(&c->items, "baskets", b->items, (size_t)len, sizeof *c->items) &&
           dup_dict(&c->labels, b->labels) &&
           mem_dup(&c->times, "baskets", b->times, (size_t)b->n, sizeof *c->times) &&
           mem_dup(&c->revenue, "baskets", b->revenue, (size_t)b->n, sizeof *c->revenue) &&
           dup_dict(&c->users, b->users) && mem_dup(&c->user, "baskets", b->user, (size_t)b->n, sizeof *c->user) &&
           dup_dict(&c->names, b->names) &&
           mem_dup(&c->name, "baskets", b->name, (size_t)b->nitems, sizeof *c->name);
  if (!ok) {
    br_baskets_free(c); /* refs 0: frees whatever was copied */
    return br_error_set(BR_ERR_NOMEM, "baskets: out of memory for a copy of %lld baskets", (long long)b->n);
  }
  *out = c;
  return BR_OK;
}

br_status br_itemsets_clone(br_itemsets **out, const br_itemsets *s) {
  br_itemsets *c = br_calloc("itemsets", 1, sizeof *c);
  if (!c) return br_error_set(BR_ERR_NOMEM, "itemsets: out of memory for a copy");
  int64_t len = s->off[s->n];
  /* sized to fit, but never to 0: itemsets_push doubles the capacity */
  size_t room = s->n > 0 ? (size_t)s->n : 1;
  c->n = s->n;
  c->cap = (int64_t)room;
  c->len = c->cap_items = len;
  c->nbaskets = s->nbaskets;
  c->nitems = s->nitems;
  int ok = dup_room("itemsets", &c->off, s->off, (size_t)s->n + 1, room + 1, sizeof *c->off) &&
           mem_dup(&c->items, "itemsets", s->items, (size_t)len, sizeof *c->items) &&
           dup_room("itemsets", &c->count, s->count, (size_t)s->n, room, sizeof *c->count) &&
           dup_room("itemsets", &c->weight, s->weight, (size_t)s->n, room, sizeof *c->weight) &&
           mem_dup(&c->item_count, "itemsets", s->item_count, (size_t)s->nitems, sizeof *c->item_count);
  if (!ok) {
    br_itemsets_free(c);
    return br_error_set(BR_ERR_NOMEM, "itemsets: out of memory for a copy of %lld itemsets", (long long)s->n);
  }
  *out = c;
  return BR_OK;
}
