/* Per-item option values joined to a catalogue by label (bundle/search.h):
 * the label -> id lookup and the checks every binding would otherwise
 * repeat, so a bad label or value gets the same message from Lua, C or
 * any other front end. */
#include <math.h>
#include <string.h>

#include "bundle/error.h"
#include "bundle/search.h"

br_status br_catalog_item_values(const br_catalog *cat, const char *what, int64_t n, const char *const *labels,
                                 const size_t *lens, const double *values, double fill, double *out) {
  int32_t nc = br_catalog_size(cat);
  for (int32_t i = 0; i < nc; i++) out[i] = fill;
  for (int64_t k = 0; k < n; k++) {
    size_t len = lens ? lens[k] : strlen(labels[k]);
    int32_t id = br_catalog_find(cat, labels[k], len);
    int shown = len > 60 ? 60 : (int)len;
    if (id < 0) return br_error_set(BR_ERR_ARG, "%s: no item '%.*s' in the catalogue", what, shown, labels[k]);
    if (!(values[k] > 0 && values[k] < HUGE_VAL))
      return br_error_set(BR_ERR_ARG, "%s of item '%.*s' must be a number > 0", what, shown, labels[k]);
    out[id] = values[k];
  }
  return BR_OK;
}
