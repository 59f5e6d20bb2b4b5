/* fuzz_gw_event.c - a client event as the gateway receives it: the input is
 * an event name, a newline, then the JSON argument array. Whatever the
 * validator accepts obeys the rules the services rely on. */
#include <json-c/json.h>
#include <string.h>

#include "fuzz.h"
#include "gw_proto.h"
#include "rules.h"
#include "sio/sio.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    const char *nl = memchr(in, '\n', size);
    struct sync_err err = { 0 };
    struct gw_request rq;
    json_object *args;
    enum gw_op op;
    int rc;

    if (!nl)
        return 0;
    op = gw_op_from_name(in, (size_t)(nl - in));
    if (op == GW_OP_UNKNOWN)
        return 0;
    args = sio_json_parse(nl + 1, size - (size_t)(nl + 1 - in));
    if (!args)
        return 0;
    rc = gw_request_parse(op, args, (unsigned)(size & 1), &rq, &err);
    FUZZ_CHECK(rc == SYNC_OK || rc == SYNC_EINVAL);
    if (rc == SYNC_OK) {
        FUZZ_CHECK((size & 1) == 0);                 /* binary attachments are refused */
        FUZZ_CHECK(rq.op == op);
        FUZZ_CHECK(rules_check_path(rq.path, rq.path_len, &err) == SYNC_OK);
        if (op == GW_OP_RENAMED)
            FUZZ_CHECK(rules_check_path(rq.new_path, rq.new_len, &err) == SYNC_OK);
        if (op == GW_OP_MODIFIED)
            FUZZ_CHECK(rq.content != NULL && rq.content[rq.content_len] == '\0');
    } else {
        FUZZ_CHECK(err.msg[0] != '\0');
    }
    json_object_put(args);
    return 0;
}
