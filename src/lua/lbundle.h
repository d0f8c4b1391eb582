/* Helpers shared by the binding files (src/lua/l*.c). Not installed; all
 * symbols here have hidden visibility, so only luaopen_* leave the module. */
#ifndef BUNDLE_LBUNDLE_H
#define BUNDLE_LBUNDLE_H

#include <lauxlib.h>
#include <lua.h>

#include "bundle/bundle.h"
#include "ldriver.h" /* per-state limits (llimits.c), also for bundlerun */

#define LBR_HIDDEN __attribute__((visibility("hidden")))
#define LBR_EXPORT __attribute__((visibility("default")))

/* One metatable name per class, used by every file that makes or checks
 * one; each class's checker is declared below with its file. */
#define LBR_TENSOR_MT "bundle.Tensor"
#define LBR_FRAME_MT "bundle.Frame"
#define LBR_COLUMN_MT "bundle.Column"
#define LBR_GROUPBY_MT "bundle.GroupBy"
#define LBR_BASKETS_MT "bundle.Baskets"
#define LBR_ITEMSETS_MT "bundle.Itemsets"
#define LBR_RULES_MT "bundle.Rules"
#define LBR_CATALOG_MT "bundle.Catalog"
#define LBR_RESULT_MT "bundle.SearchResult"
#define LBR_BUNDLE_MT "bundle.Bundle"
#define LBR_MODEL_MT "bundle.Model"
#define LBR_GBDT_MT "bundle.GBDT"
#define LBR_SANDBOX_STATE_MT "bundle.SandboxState"
#define LBR_COUNTS_MT "bundle.Counts"
#define LBR_CHUNKS_MT "bundle.CsvChunks"
#define LBR_MPI_BUFFER_MT "bundle.mpi_buffer"

/* A box for an array the core returns for free()-ing (lout.c): pushed
 * before the core call, filled right after it; freed by lbr_out_free, or
 * by the collector if a Lua error comes first. */
LBR_HIDDEN void **lbr_out_box(lua_State *L);
LBR_HIDDEN void lbr_out_free(void **box);

/* luaL_error with C's printf formats (%lld, %g, ...), which lua_pushfstring
 * does not understand; the message is cut at 1 KiB. Never returns. */
LBR_HIDDEN int lbr_errorf(lua_State *L, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Raises the core's last error as a Lua error at the caller's position. */
LBR_HIDDEN int lbr_error(lua_State *L);
/* Records the error value a callback raised (on top of the stack, left
 * there) as the core's last error: its own text (NULs as \0), its
 * __tostring, or "<who> raised an error (a <type> value)". Raises nothing:
 * it runs inside core calls, where a Lua error would jump over C frames. */
LBR_HIDDEN void lbr_callback_error(lua_State *L, const char *who);

/* Raises "fn: unknown option 'x'" when the table at idx has a string key not
 * in allowed (NULL-terminated); non-string keys are errors too. A nil or
 * absent argument is accepted as "no options". */
LBR_HIDDEN void lbr_check_options(lua_State *L, int idx, const char *fn,
                                  const char *const *allowed);

/* Reads integer/number field `key` of the options table at idx (nil/absent
 * argument or field gives dflt); raises "fn: option 'key' ..." on a bad type. */
LBR_HIDDEN lua_Integer lbr_opt_integer(lua_State *L, int idx, const char *fn,
                                       const char *key, lua_Integer dflt);
/* lbr_opt_integer for C int options: a value outside int's range is an
 * error naming the option, never a silent wrap. */
LBR_HIDDEN int lbr_opt_int(lua_State *L, int idx, const char *fn, const char *key, int dflt);
LBR_HIDDEN double lbr_opt_number(lua_State *L, int idx, const char *fn, const char *key, double dflt);
LBR_HIDDEN int lbr_opt_boolean(lua_State *L, int idx, const char *fn, const char *key,
                               int dflt);
/* Enumerated options (loption.c), as luaL_checkoption reads them but with
 * the function's own message, "fn: unknown what 'x' (a, b, c)": the index
 * in names (NULL-terminated) of the string argument at arg, or of field
 * key of the options table at idx; nil/absent gives dflt (NULL: required). */
LBR_HIDDEN int lbr_check_enum(lua_State *L, int arg, const char *fn, const char *what, const char *dflt,
                              const char *const names[]);
LBR_HIDDEN int lbr_opt_enum(lua_State *L, int idx, const char *fn, const char *key, const char *dflt,
                            const char *const names[]);

/* Pushes an empty userdata of class mt that holds one core pointer (the
 * slot, NULL until filled; the class's __gc frees what it holds): the
 * shape of Baskets, Catalog, Model, GBDT and Counts. */
LBR_HIDDEN void **lbr_push_slot(lua_State *L, const char *mt);
/* Registers the metatable `name` once: the metamethods in meta (may be NULL)
 * and `methods` as its __index table. */
LBR_HIDDEN void lbr_new_class(lua_State *L, const char *name, const luaL_Reg *methods,
                              const luaL_Reg *meta);
/* obj:write_csv(path) for objects with a to_frame: writes through the
 * frame's atomic CSV writer; returns obj. */
LBR_HIDDEN int lbr_write_csv_via(lua_State *L, lua_CFunction to_frame);

/* Pushes the labels of items[0..n) joined by sep ("a,b,c"), taking each
 * label from label(owner, id). */
typedef const char *(*lbr_label_fn)(const void *owner, int32_t id, size_t *len);
/* Pushes a Lua list of the labels of items[0..n). */
LBR_HIDDEN void lbr_push_labels(lua_State *L, lbr_label_fn label, const void *owner, const int32_t *items, int n);
LBR_HIDDEN void lbr_push_joined(lua_State *L, lbr_label_fn label, const void *owner, const int32_t *items,
                                int n, char sep);
/* As lbr_push_joined with sep ',', each label escaped so that the field
 * splits back exactly (bundle.split_items): a backslash goes before every
 * comma and backslash in a label, and before a '[' that starts the field
 * after any blanks (a field starting so is a JSON list). Labels "salt, fine" and
 * "oil" give the field: salt\, fine,oil */
LBR_HIDDEN void lbr_push_list_field(lua_State *L, lbr_label_fn label, const void *owner, const int32_t *items, int n);

/* ---- lifetimes ----
 * A binding that keeps a core pointer across anything that can run Lua
 * (a callback, a metamethod of an argument) pins the userdata the pointer
 * came from. lbr_pin(L, idx, by) counts a pin on the userdata at idx and
 * pushes one to-be-closed guard onto the stack: the guard anchors the
 * value (so collection cannot free it) and drops the pin when the C
 * function returns or an error unwinds it, whatever the path. Code after
 * a pin must not lua_settop/lua_pop below the guard while it still uses
 * the pointer. `by` names the call ("a running search"), a static string. */
LBR_HIDDEN void lbr_pin(lua_State *L, int idx, const char *by);
/* For close, __close and __gc of a class named what ("Catalog"): raises
 * "close: the Catalog is in use by a running search; close it after the
 * call returns" while the userdata at idx is pinned. A pinned value is
 * always reachable, so the collector never calls __gc on one. */
LBR_HIDDEN void lbr_check_unpinned(lua_State *L, int idx, const char *what);
/* Records the module's C functions (those in the table at idx, and in the
 * bundle.* metatables) so that lbr_check_unpinned also refuses a close
 * while one of them, lower on the thread's stack, has the value in a slot
 * (it may be reading the value's pointer when a metamethod of another
 * argument runs). Called once by luaopen_bundle_core. */
LBR_HIDDEN void lbr_register_ours(lua_State *L, int idx);
/* Pushes the registry's table of coroutine -> the thread resuming it now
 * (weak both ways), made on first use; lbr_check_unpinned walks it. */
LBR_HIDDEN void lbr_push_resumers(lua_State *L);
/* Replaces coroutine.resume, wrap and close by versions that record, for
 * as long as they run a thread, which thread runs it (lcoroutine.c), so a
 * refused close sees the whole chain of resumers. Called by
 * luaopen_bundle_core, bundlerun and the sandbox's setup (before its own
 * wrappers); does nothing the second time, or where those fields are no
 * longer Lua's own C functions. */
LBR_HIDDEN void lbr_record_resumes(lua_State *L);
/* Sorts the list of strings at idx in place (byte order): for option names,
 * without calling the script's (replaceable) table.sort. */
LBR_HIDDEN void lbr_sort_strings(lua_State *L, int idx);

/* The generator used when a call gives no seed (seeded by bundle.seed). */
LBR_HIDDEN br_rng *lbr_default_rng(lua_State *L);

/* Tensors as Lua values (ltensor.c). */
LBR_HIDDEN br_tensor **lbr_tensor_push_slot(lua_State *L); /* empty userdata, then fill */
LBR_HIDDEN br_tensor *lbr_tensor_check(lua_State *L, int idx);
LBR_HIDDEN br_tensor *lbr_tensor_test(lua_State *L, int idx); /* NULL if not a live tensor */
/* Tells the collector about the storage behind a freshly filled slot. */
LBR_HIDDEN void lbr_tensor_account(lua_State *L, const br_tensor *t);
LBR_HIDDEN void lbr_tensor_open(lua_State *L); /* pushes the bundle.tensor table */

/* Frames (lframe.c): registers the Frame/Column/GroupBy classes and sets
 * read_csv in the table on the stack top. */
LBR_HIDDEN void lbr_frame_open(lua_State *L);
/* read_csv's options at opts into o, for read_csv and read_csv_chunks
 * (errors name fn); anchors it needs are left on the stack. */
LBR_HIDDEN void lbr_csv_options(lua_State *L, int opts, const char *fn, br_csv_options *o);
/* read_csv_chunks (lchunks.c) and counts (lcounts.c): set in the table on the stack top. */
LBR_HIDDEN void lbr_chunks_open(lua_State *L);
/* True for an iterator of frames (a function or callable object, not a Frame). */
LBR_HIDDEN int lbr_is_frame_source(lua_State *L, int idx);
/* Replaces a list or iterator of frames at idx by one frame of all their
 * rows (a Frame is left as it is); errors name fn. */
LBR_HIDDEN void lbr_frames_join(lua_State *L, int idx, const char *fn);
LBR_HIDDEN void lbr_counts_open(lua_State *L);
LBR_HIDDEN br_frame *lbr_frame_check(lua_State *L, int idx); /* raises when not a live Frame */
LBR_HIDDEN br_frame *lbr_frame_test(lua_State *L, int idx);  /* NULL if not a live Frame */
LBR_HIDDEN br_frame **lbr_frame_push_slot(lua_State *L);    /* an empty Frame, to fill through the slot */
/* Baskets (lbasket.c): registers Baskets/Itemsets/Rules and sets baskets and
 * read_baskets in the table on the stack top. */
LBR_HIDDEN void lbr_basket_open(lua_State *L);
LBR_HIDDEN br_baskets *lbr_baskets_check(lua_State *L, int idx);
LBR_HIDDEN br_baskets **lbr_baskets_push_slot(lua_State *L); /* an empty Baskets userdata, then fill */
/* bundle.mpi (lmpi.c): sets mpi in the table on the stack top. Baskets made
 * by mpi.baskets are spread over ranks: lbr_mpi_baskets_world gives their
 * world (NULL for other baskets), and lbr_mine mines them across ranks
 * (br_dist_frequent) or, for other baskets, as br_baskets_frequent. */
LBR_HIDDEN void lbr_mpi_open(lua_State *L);
LBR_HIDDEN br_comm *lbr_mpi_baskets_world(lua_State *L, int idx);
LBR_HIDDEN int lbr_mpi_baskets_spread(lua_State *L, int idx); /* made by mpi.baskets (no MPI call) */
LBR_HIDDEN br_status lbr_mine(lua_State *L, int idx, br_itemsets **out, const br_baskets *b, const br_mine_options *o);
/* Itemsets and Rules: the core object (NULL once closed) and the baskets it
 * was mined from, held by a core reference until the child is closed. */
typedef struct lbr_child {
  void *obj;
  br_baskets *parent;
} lbr_child;
LBR_HIDDEN lbr_child *lbr_itemsets_test(lua_State *L, int idx); /* NULL if not Itemsets */
/* Pushes an empty Itemsets or Rules (class mt) holding the baskets at
 * parent_idx (user value 1) and a core reference to parent; fill obj. */
LBR_HIDDEN lbr_child *lbr_child_push(lua_State *L, const char *mt, int parent_idx, br_baskets *parent);
/* Rules operations and printing (lrules.c): adds methods and __tostring to
 * the classes of lbasket.c and lsearch*.c; call after both have opened. */
LBR_HIDDEN void lbr_rules_open(lua_State *L);
/* Frame:tail, row and describe (lframe_more.c); after lbr_frame_open. */
LBR_HIDDEN void lbr_frame_more_open(lua_State *L);
/* Pushes row i of a column as Lua sees it (lframe.c): nil for a null, a
 * datetime as ISO text or, with `seconds`, epoch seconds. */
LBR_HIDDEN void lbr_push_cell(lua_State *L, const br_column *c, int64_t i, int seconds);
/* Evaluation (leval.c): sets eval_core (backtest, topk, rank, bandit_replay)
 * and als in the table on the stack top. */
LBR_HIDDEN void lbr_eval_open(lua_State *L);
LBR_HIDDEN void lbr_als_open(lua_State *L);  /* als (lals.c); called by lbr_eval_open */
LBR_HIDDEN void lbr_file_open(lua_State *L); /* read_file, write_file, mkdir, dir_* (lfile.c); likewise */
/* Models (lmodel.c): sets model and optim_core in the table on the stack top. */
LBR_HIDDEN void lbr_model_open(lua_State *L);
/* Search (lsearch.c): sets catalog and search in the table on the stack top. */
LBR_HIDDEN void lbr_search_open(lua_State *L);
/* Pareto tools (lpareto.c): sets pareto in the table on the stack top. */
LBR_HIDDEN void lbr_pareto_open(lua_State *L);
/* Pricing (lprice.c): sets price (optimize, baseline) in the table on the stack top. */
LBR_HIDDEN void lbr_price_open(lua_State *L);
/* Sandbox (lsandbox.c): sets sandbox_exec and memory_used in the table on the
 * stack top; the rest is for bundlerun's --timeout, --max-memory, --sandbox. */
LBR_HIDDEN void lbr_sandbox_open(lua_State *L);

#endif
