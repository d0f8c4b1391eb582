/* libFuzzer target: the model-file loader (truncated, corrupted and
 * hostile headers and payloads; the fuzz build skips the checksum so
 * mutations reach the parser). A model it accepts must predict. */
#include "bundle/bundle.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 1 << 16) return 0;
  const char *path = fuzz_write(data, size, ".model");
  br_model *m = NULL;
  if (br_model_load(&m, path) == BR_OK) {
    for (int64_t d = 1; d <= 4; d++) { /* whatever width it claims, a wrong one is an error, not a crash */
      int64_t shape[2] = {3, d};
      br_tensor *X = NULL, *y = NULL;
      if (br_tensor_zeros(&X, 2, shape) == BR_OK && br_model_predict(&y, m, X) == BR_OK) br_tensor_free(y);
      br_tensor_free(X);
    }
    br_model_free(m);
  }
  return 0;
}
