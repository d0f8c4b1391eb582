/* Deep copies of a catalogue: labels, prices, costs, stock, categories and
 * names copied, nothing shared, so either may be freed while the other is
 * in use (bundle.sandbox.run hands objects across its boundary this way).
 * The result's copy is in search_collect.c, where its layout is. */
#include <string.h>

#include "bundle/memory.h"
#include "search_internal.h"
#include "memory_internal.h"

br_status br_catalog_clone(br_catalog **out, const br_catalog *c) {
  br_catalog *d = br_calloc("catalog", 1, sizeof *d);
  if (!d) return br_error_set(BR_ERR_NOMEM, "catalog: out of memory for a copy");
  size_t n = (size_t)c->n;
  d->n = c->n;
  int ok = (d->labels = strdict_copy(c->labels)) != NULL && mem_dup(&d->price, "catalog", c->price, n, sizeof *d->price) &&
           mem_dup(&d->cost, "catalog", c->cost, n, sizeof *d->cost) && mem_dup(&d->stock, "catalog", c->stock, n, sizeof *d->stock) &&
           mem_dup(&d->category, "catalog", c->category, n, sizeof *d->category) &&
           (!c->names || (d->names = strdict_copy(c->names)) != NULL) &&
           mem_dup(&d->name, "catalog", c->name, n, sizeof *d->name);
  if (!ok) {
    br_catalog_free(d); /* refs 0: frees whatever was copied */
    return br_error_set(BR_ERR_NOMEM, "catalog: out of memory for a copy of %d items", c->n);
  }
  *out = d;
  return BR_OK;
}
