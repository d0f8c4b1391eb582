/* bundle/csv_chunks.h — a CSV file read a chunk of rows at a time, so a
 * file larger than memory streams through in bounded space.
 *
 *     br_csv_chunks *c = NULL;
 *     br_csv_chunk_options co = {.rows = 1000000, .key = "order"};
 *     if (br_csv_chunks_open(&c, "orders.csv.gz", &opts, &co) != BR_OK) puts(br_last_error());
 *     br_frame *f;
 *     while (br_csv_chunks_next(c, &f) == BR_OK && f) { ...; br_frame_free(f); }
 *     br_csv_chunks_close(c);
 *
 * Options, types and errors are read_csv's (bundle/frame.h). Types are
 * fixed by the first chunk (or by opts->types): a value in a later chunk
 * that its column's type cannot hold is an error naming the file, line,
 * column and value. The file is read through zlib in 1 MiB blocks (gzip or
 * plain), never whole.
 */
#ifndef BUNDLE_CSV_CHUNKS_H
#define BUNDLE_CSV_CHUNKS_H

#include <stdint.h>

#include "bundle/frame.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct br_csv_chunks br_csv_chunks;

typedef struct br_csv_chunk_options {
  int64_t rows;    /* rows per chunk (0: 1,000,000) */
  const char *key; /* NULL, or a column whose runs of equal values are never
                    * split between chunks (an order's lines stay together):
                    * a chunk may then run past `rows` to the end of a run */
} br_csv_chunk_options;

/* Opens path and reads its header; opts and its strings must outlive c. */
br_status br_csv_chunks_open(br_csv_chunks **out, const char *path, const br_csv_options *opts,
                             const br_csv_chunk_options *co);
/* The next chunk in *out (the caller's), or *out = NULL at the end. */
br_status br_csv_chunks_next(br_csv_chunks *c, br_frame **out);
/* Rows read and bad rows skipped so far (skipped_lines: the first ones). */
const br_csv_report *br_csv_chunks_report(const br_csv_chunks *c);
void br_csv_chunks_close(br_csv_chunks *c);

/* fs[0..n) stacked row-wise: columns matched by name (frame 1's order),
 * of one type each (STR dictionaries merged by text). */
br_status br_frame_concat(br_frame **out, const br_frame *const *fs, int n);

#ifdef __cplusplus
}
#endif
#endif
