/* Synthetic order lines for scripts/bench/scale: "order,item,time" with
 * each order's lines together, items "p<rank>" of 20,000 drawn with Zipf
 * popularity (s = 1, by inverse CDF on a table), 1-8 lines an order
 * (mean about 4.5), the orders spread over `days` days from 2024-01-01.
 *   gen_orders LINES [DAYS [FIRST_ORDER [SEED [START]]]] > orders.csv
 * (START: the first order's time in seconds, 2024-01-01 by default)
 * The same arguments give the same bytes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define ITEMS 20000

static uint64_t state;
static uint64_t next(void) { /* splitmix64 */
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
static double uniform(void) { return (double)(next() >> 11) / 9007199254740992.0; }

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: gen_orders LINES [DAYS [FIRST_ORDER [SEED [START]]]]\n");
    return 2;
  }
  long long lines = atoll(argv[1]);
  long long days = argc > 2 ? atoll(argv[2]) : 365;
  long long order = argc > 3 ? atoll(argv[3]) : 1;
  state = argc > 4 ? strtoull(argv[4], NULL, 10) : 1;
  static double cdf[ITEMS];
  double sum = 0;
  for (int i = 0; i < ITEMS; i++) cdf[i] = sum += 1.0 / (i + 1);
  for (int i = 0; i < ITEMS; i++) cdf[i] /= sum;
  static char buf[1 << 16];
  setvbuf(stdout, buf, _IOFBF, sizeof buf);
  puts("order,item,time");
  const long long t0 = argc > 5 ? atoll(argv[5]) : 1704067200; /* 2024-01-01 */
  long long done = 0;
  while (done < lines) {
    int n = 1 + (int)(next() % 8);
    if (n > lines - done) n = (int)(lines - done);
    long long t = t0 + (long long)((double)done / (double)lines * (double)days * 86400.0);
    int seen[8], m = 0;
    for (int k = 0; k < n; k++) {
      double u = uniform();
      int lo = 0, hi = ITEMS - 1;
      while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (cdf[mid] < u) lo = mid + 1;
        else hi = mid;
      }
      int dup = 0;
      for (int j = 0; j < m; j++) dup |= seen[j] == lo;
      if (dup) continue; /* an order holds an item once */
      seen[m++] = lo;
      printf("%lld,p%d,%lld\n", order, lo + 1, t);
      done++;
    }
    order++;
  }
  return 0;
}
