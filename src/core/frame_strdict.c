/* A string dictionary: an append-only pool of distinct strings with an open
 * addressing hash index, giving each string a dense int32 code. */
#include <stdlib.h>
#include <string.h>

#include "frame_internal.h"
#include "bundle/memory.h"

strdict *strdict_new(void) {
  strdict *d = br_calloc("strdict", 1, sizeof *d);
  if (!d) return NULL;
  d->refs = 1;
  d->cap = 16;
  d->nslots = 32;
  d->pool_cap = 256;
  d->pool = br_alloc("strdict", d->pool_cap, 1);
  d->offs = br_alloc("strdict", (size_t)(d->cap + 1), sizeof *d->offs);
  d->hash = br_alloc("strdict", (size_t)d->cap, sizeof *d->hash);
  d->slots = br_alloc("strdict", d->nslots, sizeof *d->slots);
  if (!d->pool || !d->offs || !d->hash || !d->slots) {
    strdict_release(d);
    return NULL;
  }
  memset(d->slots, 0xff, d->nslots * sizeof *d->slots);
  d->offs[0] = 0;
  return d;
}

strdict *strdict_retain(strdict *d) {
  if (d) d->refs++;
  return d;
}

void strdict_release(strdict *d) {
  if (!d || --d->refs > 0) return;
  br_free(d->pool);
  br_free(d->offs);
  br_free(d->hash);
  br_free(d->slots);
  br_free(d);
}

/* A multiply-xorshift hash over 8-byte words (byte-at-a-time FNV was 5% of
 * reading Online Retail). Quality is ample for an open-addressing index. */
uint32_t strdict_hash(const char *s, size_t len) {
  uint64_t h = 0x9e3779b97f4a7c15ULL ^ (len * 0xff51afd7ed558ccdULL);
  size_t i = 0;
  for (; i + 8 <= len; i += 8) {
    uint64_t w;
    memcpy(&w, s + i, 8);
    h = (h ^ w) * 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 31;
  }
  if (i < len) {
    uint64_t w = 0;
    memcpy(&w, s + i, len - i);
    h = (h ^ w) * 0x94d049bb133111ebULL;
  }
  h ^= h >> 29;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 32;
  return (uint32_t)h;
}

static int32_t lookup(const strdict *d, const char *s, size_t len, uint32_t h, uint32_t *slot) {
  uint32_t mask = d->nslots - 1;
  for (uint32_t i = h & mask;; i = (i + 1) & mask) {
    int32_t c = d->slots[i];
    if (c < 0) {
      *slot = i;
      return -1;
    }
    if (d->hash[c] == h && d->offs[c + 1] - d->offs[c] - 1 == len &&
        memcmp(d->pool + d->offs[c], s, len) == 0)
      return c;
  }
}

int32_t strdict_find(const strdict *d, const char *s, size_t len) {
  uint32_t slot;
  return lookup(d, s, len, strdict_hash(s, len), &slot);
}

static int grow_slots(strdict *d) {
  uint32_t n = d->nslots * 2;
  int32_t *slots = br_alloc("strdict", n, sizeof *slots);
  if (!slots) return 0;
  memset(slots, 0xff, n * sizeof *slots);
  for (int32_t c = 0; c < d->n; c++) {
    uint32_t i = d->hash[c] & (n - 1);
    while (slots[i] >= 0) i = (i + 1) & (n - 1);
    slots[i] = c;
  }
  br_free(d->slots);
  d->slots = slots;
  d->nslots = n;
  return 1;
}

int32_t strdict_intern(strdict *d, const char *s, size_t len) {
  uint32_t h = strdict_hash(s, len), slot;
  int32_t c = lookup(d, s, len, h, &slot);
  if (c >= 0) return c;
  if (d->n == INT32_MAX - 1) return -1;
  if (d->n == d->cap) {
    int32_t cap = d->cap > INT32_MAX / 2 ? INT32_MAX - 1 : d->cap * 2;
    size_t *offs = br_realloc("strdict", d->offs, (size_t)(cap + 1), sizeof *offs);
    if (!offs) return -1;
    d->offs = offs;
    uint32_t *hash = br_realloc("strdict", d->hash, (size_t)cap, sizeof *hash);
    if (!hash) return -1;
    d->hash = hash;
    d->cap = cap;
  }
  if (d->pool_len + len + 1 > d->pool_cap) {
    size_t cap = (d->pool_len + len + 1) * 2;
    char *pool = br_realloc("strdict", d->pool, cap, 1);
    if (!pool) return -1;
    d->pool = pool;
    d->pool_cap = cap;
  }
  memcpy(d->pool + d->pool_len, s, len);
  d->pool[d->pool_len + len] = '\0';
  d->pool_len += len + 1;
  c = d->n++;
  d->offs[d->n] = d->pool_len;
  d->hash[c] = h;
  d->slots[slot] = c;
  /* Keep the load factor under 1/2 so probe runs stay short. */
  if ((uint32_t)d->n * 2 > d->nslots && !grow_slots(d)) {
    d->slots[slot] = -1; /* undo, so the index stays consistent */
    d->n--;
    d->pool_len -= len + 1;
    return -1;
  }
  return c;
}

strdict *strdict_copy(const strdict *d) {
  strdict *c = strdict_new();
  if (!c) return NULL;
  /* interned in code order, each string gets its old code back */
  for (int32_t i = 0; i < d->n; i++) {
    size_t len;
    const char *s = strdict_get(d, i, &len);
    if (strdict_intern(c, s, len) != i) {
      strdict_release(c);
      return NULL;
    }
  }
  return c;
}
