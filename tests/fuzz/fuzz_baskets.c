/* libFuzzer target: the one-basket-per-line (FIMI) reader, then mining and
 * rules on whatever it accepted. */
#include "bundle/bundle.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 1 << 16) return 0;
  const char *path = fuzz_write(data, size, ".dat");
  br_baskets *b = NULL;
  if (br_baskets_read(&b, path, size && (data[0] & 1) ? ',' : ' ') == BR_OK) {
    br_baskets_free(b);
  }
  return 0;
}
