/*
 * src/store/types.c: the record types' table (fls_type_ops): what the commands that work on a
 * value of any type (RENAME, COPY, OBJECT ENCODING, in keys_move.c and keys.c) need of each
 * type. A new record type adds one row here; nothing else in those commands changes.
 */
#include "store_internal.h"

/* Redis 7.0's string encodings: "int" for a value string2l accepts (at most 20 bytes), "embstr"
 * up to 44 bytes, "raw" above. */
static const char *str_encoding(const fl_ns_t *ns, fls_rec_t *r)
{
    (void)ns;
    int64_t v;
    char text[20];
    fl_slice_t t;
    if (r->raw)
        return "raw";
    if (fls_str_text(r, text, sizeof(text), &t) && fls_parse_i64(t.p, t.n, &v))
        return "int";
    return fls_str_len(r) <= 44 ? "embstr" : "raw";
}

static const fls_type_ops_t types[] = {
    [FL_TYPE_STRING] = {fls_str_clone, str_encoding},
    [FL_TYPE_HASH] = {fls_coll_clone, fls_coll_encoding},
    [FL_TYPE_LIST] = {fls_coll_clone, fls_coll_encoding},
    [FL_TYPE_SET] = {fls_coll_clone, fls_coll_encoding},
    [FL_TYPE_ZSET] = {fls_coll_clone, fls_coll_encoding},
};

const fls_type_ops_t *fls_type_ops(unsigned type)
{
    if (type >= sizeof(types) / sizeof(types[0]) || !types[type].clone)
        return NULL;
    return &types[type];
}
