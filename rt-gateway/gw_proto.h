/* gw_proto.h - the gateway's side of DESIGN §6 as pure functions: what a
 * client event must carry, the ack it gets, and the server->client event
 * built from one change of the feed. No I/O, no database, no sio calls:
 * unit-tested on their own (tests/unit/test_gw_proto.c). */
#ifndef GW_PROTO_H
#define GW_PROTO_H

#include <stddef.h>

#include "err.h"
#include "svc.h"

struct json_object;

/* The four client events of DESIGN §6 (GW_OP_UNKNOWN: any other name). */
enum gw_op {
    GW_OP_UNKNOWN = 0,
    GW_OP_CREATED,      /* created-file  {path}              WRITE_TOUCH  */
    GW_OP_MODIFIED,     /* modified-file {path, content}     WRITE_UPSERT */
    GW_OP_DELETED,      /* deleted-file  {path}              soft delete  */
    GW_OP_RENAMED,      /* renamed-file  {oldPath, newPath}  rename       */
};

/* Event name (len bytes, not NUL-terminated) -> op. */
enum gw_op gw_op_from_name(const char *name, size_t len);
/* "created-file", ... for an op; "" for GW_OP_UNKNOWN. Static string. */
const char *gw_op_name(enum gw_op op);

/* A validated client request. Every pointer is lent by the args array it
 * was parsed from: copy before the callback returns. */
struct gw_request {
    enum gw_op op;
    const char *path;           /* created/modified/deleted: path; renamed: oldPath */
    size_t path_len;
    const char *new_path;       /* renamed only */
    size_t new_len;
    const char *content;        /* modified only (checked by the service) */
    size_t content_len;
};

/* Validates the arguments of a client event (the JSON array after the event
 * name, as the sio layer hands it) for op: a first argument that is an
 * object with the op's string members (other members are ignored), paths
 * that pass rules_check_path. n_bin > 0 (binary attachments) is refused:
 * content travels as base64 text. SYNC_OK, or SYNC_EINVAL with a message
 * for the client. op must not be GW_OP_UNKNOWN. */
int gw_request_parse(enum gw_op op, struct json_object *args, unsigned n_bin,
                     struct gw_request *out, struct sync_err *err);

/* The error code a socket ack carries for a SYNC_E* code (DESIGN §6:
 * FORBIDDEN, VALIDATION_ERROR, INTERNAL_ERROR, UNAVAILABLE). A store that is
 * gone (SYNC_ENOTFOUND) is FORBIDDEN: the key no longer grants anything. */
const char *gw_ack_code(int rc);

/* Ack argument arrays, caller owns (json_object_put); NULL on no memory.
 *   gw_ack_ok(hash)        [{"success":true,"hash":hash}]   (hash NULL: no member)
 *   gw_ack_error(code,msg) [{"success":false,"error":{"code":code,"message":msg}}] */
struct json_object *gw_ack_ok(const char *hash);
struct json_object *gw_ack_error(const char *code, const char *message);

/* The CONNECT_ERROR message for an svc_auth failure: INVALID_KEY,
 * KEY_REVOKED or UNAVAILABLE (anything that is not the key's fault). */
const char *gw_auth_refusal(int rc);

/* The broadcast of one feed item (DESIGN §6, server -> client):
 *   file-created  {path, content, hash, size, isBinary, extension, createdAt, seq}
 *   file-modified {path, content, hash, size, isBinary, extension, updatedAt, seq}
 *   file-deleted  {path, deletedAt, seq}
 *   file-renamed  {oldPath, newPath, content, hash, size, isBinary, extension, updatedAt, seq}
 * The name always matches the change's kind; seq is the change's seq; the
 * file fields are the file's state as read (hash, size and content belong
 * together).
 * Returns GW_EVENT_SEND with *name (static) and *args (a one-element array
 * [payload], caller owns), GW_EVENT_SKIP when the change needs no event:
 *   - created/modified whose file is no longer live (a delete or rename
 *     follows in the feed),
 *   - created/modified whose file changed again since (file.seq > seq: the
 *     later change carries the newer state);
 * deleted and renamed are never skipped. A renamed change whose new path is
 * no longer live is sent with empty content (empty-string hash, size 0,
 * isBinary/extension from the new path, updatedAt = the change's time): a
 * hash, size and content that belong together, and the delete or rename
 * that emptied the path follows. Returns SYNC_ENOMEM or SYNC_EINVAL
 * (unknown kind) on failure. */
enum { GW_EVENT_SEND = 0, GW_EVENT_SKIP = 1 };
int gw_event_build(const struct sync_feed_item *it, const char **name, struct json_object **args);

#endif
