/* view.h - the JSON objects of DESIGN §5, built from service results. Pure.
 * Each returns a new object (caller owns) or NULL when out of memory. */
#ifndef API_VIEW_H
#define API_VIEW_H

#include <json-c/json.h>
#include <stdbool.h>
#include "svc.h"

/* {path, hash, size, isBinary, extension, createdAt, updatedAt}, plus
 * expiresAt on a tombstone and content when with_content. */
json_object *view_file(const struct sync_file *f, bool with_content);
/* {id, name, createdAt, updatedAt, fileCount, totalSize} */
json_object *view_store(const struct sync_store *s);
/* {id, name, permissions, createdAt, lastUsedAt, revokedAt, prefix}, plus
 * key when full_key is not NULL (at creation only). */
json_object *view_key(const struct sync_key *k, const char *full_key);
/* ["read","write",...] in a fixed order. */
json_object *view_perms(unsigned perms);
/* {seq, kind, path, oldPath?, hash?, size?, at} */
json_object *view_change(const struct sync_change *ch);

/* A JSON array of view_file() objects (no content) of every file of l;
 * caller owns it. NULL on no memory. */
json_object *view_file_array(const struct sync_file_list *l);

#endif
