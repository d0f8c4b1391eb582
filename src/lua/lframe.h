/* Shared by the frame binding files: lframe.c (read_csv, Frame), lcolumn.c
 * (Column), lgroup.c (Frame:group_by, GroupBy) and lframe_more.c. Not
 * installed; hidden symbols. */
#ifndef BUNDLE_LFRAME_H
#define BUNDLE_LFRAME_H

#include "lbundle.h"

/* A Column: a reference to the core column and the name it was taken by. */
typedef struct lcolumn {
  br_column *c;
  char name[120];
} lcolumn;

/* Pushes a Column holding a new reference to c. */
LBR_HIDDEN void lbr_column_push(lua_State *L, const br_column *c, const char *name);
LBR_HIDDEN lcolumn *lbr_column_check(lua_State *L, int idx); /* raises when closed */
/* A string or a list of strings at idx, as a userdata-backed array (so an
 * error while reading leaks nothing). Returns the count; [.. names_ud]. */
LBR_HIDDEN int lbr_read_names(lua_State *L, int idx, const char *fn, const char *what, const char ***out);
/* time_format = "%d/%m/%Y", day_first = true from the options at idx. */
LBR_HIDDEN void lbr_read_time_format(lua_State *L, int idx, const char *fn, br_time_format *tf);
/* A time given as a number (epoch seconds) or a date string. */
LBR_HIDDEN int64_t lbr_check_time(lua_State *L, int idx, const char *fn);
/* A 1-d mask tensor of length n at idx (a contiguous copy kept on the stack). */
LBR_HIDDEN const double *lbr_check_mask(lua_State *L, int idx, int64_t n, const char *fn, br_tensor **contig);

/* Frame:group_by (lgroup.c), in Frame's method table. */
LBR_HIDDEN int lbr_frame_group_by(lua_State *L);
/* Register the Column and GroupBy classes (called by lbr_frame_open). */
LBR_HIDDEN void lbr_column_open(lua_State *L);
LBR_HIDDEN void lbr_group_open(lua_State *L);

#endif
