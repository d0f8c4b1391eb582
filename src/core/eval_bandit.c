/* Offer policies replayed through time-ordered baskets: Thompson sampling,
 * UCB1 and a static rotation, with each arm's hindsight reward beside. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bundle/eval.h"
#include "deadline_internal.h"
#include "sort_index.h"
#include "bundle/memory.h"

static const char *const policy_names[] = {"thompson", "ucb", "static"};
_Static_assert(sizeof policy_names / sizeof *policy_names == BR_BANDIT_POLICY_COUNT, "one name per policy");

const char *br_bandit_policy_name(br_bandit_policy p) {
  return (unsigned)p < BR_BANDIT_POLICY_COUNT ? policy_names[p] : "?";
}

br_status br_bandit_policy_parse(br_bandit_policy *p, const char *s) {
  for (int i = 0; i < BR_BANDIT_POLICY_COUNT; i++)
    if (s && strcmp(s, policy_names[i]) == 0) {
      *p = (br_bandit_policy)i;
      return BR_OK;
    }
  return br_error_set(BR_ERR_ARG, "bandit: unknown policy '%s' (thompson, ucb or static)", s ? s : "(null)");
}

/* Gamma(a, 1) by Marsaglia and Tsang; a < 1 through Gamma(a + 1) * U^(1/a). */
static double gamma_draw(br_rng *r, double a) {
  if (a < 1) {
    double u = br_rng_uniform(r);
    return gamma_draw(r, a + 1) * pow(u > 0 ? u : 1e-300, 1.0 / a);
  }
  double d = a - 1.0 / 3, c = 1.0 / sqrt(9 * d);
  for (;;) {
    double x = br_rng_normal(r), v = 1 + c * x;
    if (v <= 0) continue;
    v = v * v * v;
    double u = br_rng_uniform(r);
    if (u < 1 - 0.0331 * x * x * x * x) return d * v;
    if (log(u > 0 ? u : 1e-300) < 0.5 * x * x + d * (1 - v + log(v))) return d * v;
  }
}

double br_rng_beta(br_rng *r, double a, double b) {
  double x = gamma_draw(r, a), y = gamma_draw(r, b);
  return x + y > 0 ? x / (x + y) : 0.5;
}

/* Does the sorted basket hold every item of the arm? */
static int holds(const int32_t *basket, int64_t nbasket, const int32_t *arm, int64_t narm) {
  for (int64_t i = 0; i < narm; i++) {
    if (arm[i] < 0) return 0;
    int64_t lo = 0, hi = nbasket; /* baskets are short: bisect each item */
    while (lo < hi) {
      int64_t mid = (lo + hi) / 2;
      if (basket[mid] < arm[i]) lo = mid + 1;
      else hi = mid;
    }
    if (lo == nbasket || basket[lo] != arm[i]) return 0;
  }
  return 1;
}

static int by_time(const void *ctx, int64_t a, int64_t b) {
  const int64_t *t = ctx;
  return (t[a] > t[b]) - (t[a] < t[b]);
}

static int32_t choose(const br_bandit_arm *arms, int32_t narms, br_bandit_policy policy, br_rng *rng, double t,
                      double vmax, int64_t turn) {
  int32_t best = 0;
  double best_s = -INFINITY;
  for (int32_t a = 0; a < narms; a++) {
    double s;
    if (policy == BR_BANDIT_THOMPSON) {
      s = br_rng_beta(rng, 1 + arms[a].accepts, 1 + arms[a].offers - arms[a].accepts) * arms[a].value;
    } else if (policy == BR_BANDIT_UCB) {
      if (arms[a].offers == 0) return a; /* every arm once first */
      s = arms[a].accepts / arms[a].offers * arms[a].value + vmax * sqrt(2 * log(t) / arms[a].offers);
    } else {
      return (int32_t)(turn % narms);
    }
    if (s > best_s) {
      best_s = s;
      best = a;
    }
  }
  return best;
}

br_status br_bandit_replay(br_bandit_arm *arms, int32_t narms, const int32_t *items, const int64_t *off,
                           const br_baskets *b, int64_t from, int64_t to, br_bandit_policy policy, br_rng *rng,
                           double *reward) {
  const br_baskets_view B = br_baskets_view_of(b);
  if (narms < 1) return br_error_set(BR_ERR_ARG, "bandit: no arms to offer");
  if ((unsigned)policy >= BR_BANDIT_POLICY_COUNT) return br_error_set(BR_ERR_ARG, "bandit: unknown policy");
  if (from < 0 || to > B.n || from > to)
    return br_error_set(BR_ERR_ARG, "bandit: baskets %lld..%lld outside 1..%lld", (long long)from + 1, (long long)to,
                        (long long)B.n);
  for (int32_t a = 0; a < narms; a++)
    if (!(arms[a].value >= 0) || !isfinite(arms[a].value) || off[a + 1] <= off[a])
      return br_error_set(BR_ERR_ARG, "bandit: arm %d needs items and a finite value >= 0", a + 1);
  int64_t *order = br_alloc("bandit", (size_t)B.n, sizeof *order);
  if (!order) return br_error_set(BR_ERR_NOMEM, "bandit: out of memory");
  for (int64_t k = 0; k < B.n; k++) order[k] = k;
  if (B.times && !sort_index(order, B.n, by_time, B.times)) {
    br_free(order);
    return br_error_set(BR_ERR_NOMEM, "bandit: out of memory");
  }
  double vmax = 0, total_offers = 0;
  for (int32_t a = 0; a < narms; a++) {
    if (arms[a].value > vmax) vmax = arms[a].value;
    total_offers += arms[a].offers;
  }
  double gained = 0;
  int64_t work = 0;
  for (int64_t pos = from; pos < to; pos++) {
    int64_t k = order[pos];
    const int32_t *basket = B.items + B.off[k];
    int64_t nbasket = B.off[k + 1] - B.off[k];
    /* each basket is checked against every arm; the arms keep the counts
     * of the baskets replayed so far, as they do between calls */
    if (deadline_poll(&work, (nbasket + 1) * narms)) {
      br_free(order);
      return br_deadline_stop("bandit replay", pos - from, "baskets");
    }
    total_offers += 1;
    int32_t a = choose(arms, narms, policy, rng, total_offers, vmax, pos);
    int ok = holds(basket, nbasket, items + off[a], off[a + 1] - off[a]);
    arms[a].offers += 1;
    arms[a].accepts += ok;
    arms[a].reward += ok * arms[a].value;
    gained += ok * arms[a].value;
    for (int32_t j = 0; j < narms; j++) /* what always offering arm j would have earned */
      if (holds(basket, nbasket, items + off[j], off[j + 1] - off[j])) {
        arms[j].hindsight += arms[j].value;
        arms[j].hindsight_accepts += 1;
      }
  }
  br_free(order);
  if (reward) *reward += gained;
  return BR_OK;
}
