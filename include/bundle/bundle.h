/* bundle/bundle.h — the whole bundlerun C library.
 *
 *     #include <bundle/bundle.h>      // cc prog.c $(pkg-config --cflags --libs bundle)
 *
 *     br_rng rng;
 *     br_rng_seed(&rng, 1);
 *     int64_t shape[2] = {512, 512};
 *     br_tensor *a = NULL, *c = NULL;
 *     if (br_tensor_randn(&a, 2, shape, &rng) != BR_OK ||
 *         br_tensor_matmul(&c, a, a) != BR_OK)
 *       fprintf(stderr, "%s\n", br_last_error());
 *     br_tensor_free(c);
 *     br_tensor_free(a);
 *
 * Each module has its own header; this one includes them all.
 */
#ifndef BUNDLE_BUNDLE_H
#define BUNDLE_BUNDLE_H

#include "bundle/version.h"
#include "bundle/error.h"
#include "bundle/clock.h"
#include "bundle/deadline.h"
#include "bundle/rng.h"
#include "bundle/tensor.h"
#include "bundle/frame.h"
#include "bundle/csv_chunks.h"
#include "bundle/counts.h"
#include "bundle/basket.h"
#include "bundle/optim.h"
#include "bundle/model.h"
#include "bundle/gbdt.h"
#include "bundle/search.h"
#include "bundle/pareto.h"
#include "bundle/price.h"
#include "bundle/catalog_frame.h"
#include "bundle/eval.h"
#include "bundle/recommend.h"
#include "bundle/dist.h"
#include "bundle/io.h"
#include "bundle/memory.h"

#endif
