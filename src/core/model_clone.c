/* Deep copies of models (linear, logistic, MLP, GBDT): options, fitted
 * weights and training state copied, nothing shared with the original, so
 * either may be freed while the other is used (bundle.sandbox.run hands
 * models across its boundary this way). */
#include <string.h>

#include "bundle/gbdt.h"
#include "bundle/memory.h"
#include "memory_internal.h"
#include "model_internal.h"

/* A GBDT: a fitted booster goes through XGBoost's own model bytes (as a
 * save and load would, without the file); an unfitted one is a new model
 * with the same options. Without XGBoost no GBDT can exist to be copied. */
static br_status clone_gbdt(br_model **out, const br_model *m) {
  if (!m->fitted) return br_gbdt_new(out, br_gbdt_options_of(m));
  unsigned char *buf = NULL;
  size_t len = 0;
  br_status s = gbdt_export(m, &buf, &len);
  if (s != BR_OK) return s;
  s = gbdt_restore(out, buf, len, "a copy");
  br_free(buf);
  if (s == BR_OK) (*out)->iterations = m->iterations;
  return s;
}

br_status br_model_clone(br_model **out, const br_model *m) {
  if (m->kind == BR_MODEL_GBDT) return clone_gbdt(out, m);
  br_model *c = br_calloc("model", 1, sizeof *c);
  if (!c) return br_error_set(BR_ERR_NOMEM, "model: out of memory for a copy");
  *c = *m; /* options, counters, the intercept; the arrays follow */
  c->w = NULL;
  c->mlp = NULL;
  c->gbdt = NULL;
  br_status s = BR_OK;
  if (!mem_dup(&c->w, "model", m->w, (size_t)m->d, sizeof *c->w))
    s = br_error_set(BR_ERR_NOMEM, "model: out of memory for a copy of %lld weights", (long long)m->d);
  if (s == BR_OK && m->mlp) s = mlp_clone(&c->mlp, m->mlp);
  if (s != BR_OK) {
    br_model_free(c);
    return s;
  }
  *out = c;
  return BR_OK;
}
