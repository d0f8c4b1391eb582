/* libFuzzer target: the CSV reader (types inferred, then forced, with and
 * without headers), and the frame it returns written back out. */
#include "bundle/bundle.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 1 << 16) return 0;
  const char *path = fuzz_write(data, size, ".csv");
  br_csv_options o;
  br_csv_options_init(&o);
  if (size > 0) { /* the first byte picks the separator, so ';', tab and '|' get exercised */
    static const char seps[] = {',', ';', '\t', '|'};
    o.sep = seps[data[0] & 3];
  }
  br_frame *f = NULL;
  br_csv_report rep;
  if (br_frame_read_csv(&f, path, &o, &rep) == BR_OK) {
    if (br_frame_write_csv(f, fuzz_path(".out.csv"), o.sep) == BR_OK) {
      br_frame *g = NULL; /* what we write, we must read back */
      if (br_frame_read_csv(&g, fuzz_path(".out.csv"), &o, NULL) == BR_OK) br_frame_free(g);
    }
    br_frame_free(f);
  }
  return 0;
}
