/* bundle.model.gbdt (lgbdt.c): gradient-boosted trees as bundle.GBDT. */
#ifndef BUNDLE_LGBDT_H
#define BUNDLE_LGBDT_H

#include "lbundle.h"

/* Sets gbdt in the table on the stack top (bundle.model). */
LBR_HIDDEN void lbr_gbdt_register(lua_State *L);
/* Gives the model userdata at idx (a br_model ** slot that bundle.model.load
 * filled) the GBDT class when it holds a GBDT, so load returns the same
 * kind of object the constructor does. */
LBR_HIDDEN void lbr_gbdt_adopt(lua_State *L, int idx);

#endif
