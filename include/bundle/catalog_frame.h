/* bundle/catalog_frame.h — joins between frames and catalogues: a
 * catalogue built from a frame's columns, a column's labels as catalogue
 * ids, and order lines joined to a catalogue for the elasticity fit.
 *
 *     br_catalog_columns cc = { .item = "StockCode", .price = "UnitPrice", .margin = 0.3 };
 *     br_catalog *cat = NULL;
 *     if (br_catalog_from_frame(&cat, products, &cc) != BR_OK)
 *       fprintf(stderr, "%s\n", br_last_error());   // "catalog: no column 'UnitPrice' for price"
 *
 * These were the bindings' work; in the core, C programs get them too. */
#ifndef BUNDLE_CATALOG_FRAME_H
#define BUNDLE_CATALOG_FRAME_H

#include <stdint.h>

#include "bundle/error.h"
#include "bundle/frame.h"
#include "bundle/price.h"
#include "bundle/search.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The columns a catalogue is read from, by name. item (str or i64: an
 * integer item is labelled by its decimal text) and price are required;
 * cost names a column, or margin (a rate in [0, 1)) gives cost = price x
 * (1 - margin), exactly one of the two; category (str) and stock are
 * optional. Unset names are NULL; set margin to NAN when cost is given. */
typedef struct br_catalog_columns {
  const char *item, *price, *cost, *category, *stock;
  double margin;
  const char *name; /* a str column of item descriptions (NULL: none; a null value: none for that item) */
} br_catalog_columns;

/* One catalogue item per row of f. Errors name the option and the row:
 * "catalog: price is missing on row 3", "catalog: no column 'x' for cost". */
br_status br_catalog_from_frame(br_catalog **out, const br_frame *f, const br_catalog_columns *cols);

/* out[l] = the catalogue id of level l of the str column c (-1 when the
 * catalogue has no such item); out holds br_column_nlevels(c) ids. */
br_status br_catalog_level_ids(int32_t *out, const br_catalog *cat, const br_column *c);

/* br_price_elasticity on order lines: the item column (str) joined to the
 * catalogue (lines of other items are skipped), or, with cat NULL, items
 * are the column's levels. price, quantity and time are numeric columns
 * of the same frame. e and estimated hold one entry per item:
 * br_catalog_size(cat), or br_column_nlevels(item) without a catalogue. */
br_status br_price_elasticity_orders(double *e, uint8_t *estimated, br_elasticity_fit *fit, const br_column *item,
                                     const br_column *price, const br_column *quantity, const br_column *time,
                                     const br_catalog *cat, const br_elasticity_spec *spec);

#ifdef __cplusplus
}
#endif
#endif
