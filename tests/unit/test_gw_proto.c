/* test_gw_proto.c - the gateway's pure protocol parts: client event
 * validation, ack shapes, error-code mapping and the server->client event
 * built from one feed item (names, exact JSON, the skip rules). */
#include <stdlib.h>
#include <string.h>

#include "cutest.h"
#include "err.h"
#include "gw_proto.h"
#include "jsonx.h"

#define EMPTY_HASH "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
#define HASH_A     "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

/* ---- event names ----------------------------------------------------------- */

static void test_op_names(void)
{
    CU_ASSERT_EQUAL(gw_op_from_name("created-file", 12), GW_OP_CREATED);
    CU_ASSERT_EQUAL(gw_op_from_name("modified-file", 13), GW_OP_MODIFIED);
    CU_ASSERT_EQUAL(gw_op_from_name("deleted-file", 12), GW_OP_DELETED);
    CU_ASSERT_EQUAL(gw_op_from_name("renamed-file", 12), GW_OP_RENAMED);
    /* the length decides, not a NUL */
    CU_ASSERT_EQUAL(gw_op_from_name("created-filex", 12), GW_OP_CREATED);
    CU_ASSERT_EQUAL(gw_op_from_name("created-file", 11), GW_OP_UNKNOWN);
    CU_ASSERT_EQUAL(gw_op_from_name("Created-file", 12), GW_OP_UNKNOWN);
    CU_ASSERT_EQUAL(gw_op_from_name("file-created", 12), GW_OP_UNKNOWN);
    CU_ASSERT_EQUAL(gw_op_from_name("", 0), GW_OP_UNKNOWN);
    CU_ASSERT_EQUAL(gw_op_from_name(NULL, 0), GW_OP_UNKNOWN);
    CU_ASSERT_STRING_EQUAL(gw_op_name(GW_OP_RENAMED), "renamed-file");
    CU_ASSERT_STRING_EQUAL(gw_op_name(GW_OP_UNKNOWN), "");
}

/* ---- request validation ------------------------------------------------------ */

/* Parses args_json (a JSON array text) for op; want_rc; when want_msg, the
 * error message must contain it. Returns the request for more checks
 * (its views die with *keep, which the caller puts). */
static struct gw_request check_req(int line, enum gw_op op, const char *args_json, unsigned n_bin,
                                   int want_rc, const char *want_msg, json_object **keep)
{
    struct sync_err err = { 0 };
    struct gw_request r;
    json_object *args = jsonx_parse(args_json, strlen(args_json), &err);
    int rc = gw_request_parse(op, args, n_bin, &r, &err);
    int ok = rc == want_rc && (!want_msg || strstr(err.msg, want_msg));

    if (!ok)
        fprintf(stderr, "\n  line %d: gw_request_parse(%s, %s) = %d \"%s\", want %d \"%s\"\n",
                line, gw_op_name(op), args_json, rc, rc ? err.msg : "", want_rc,
                want_msg ? want_msg : "");
    CU_ASSERT_TRUE(ok);
    if (keep)
        *keep = args;
    else
        json_object_put(args);
    return r;
}
#define REQ_OK(op, js)            check_req(__LINE__, op, js, 0, SYNC_OK, NULL, NULL)
#define REQ_BAD(op, js, msg)      check_req(__LINE__, op, js, 0, SYNC_EINVAL, msg, NULL)

static void test_request_valid(void)
{
    json_object *keep;
    struct gw_request r;

    r = check_req(__LINE__, GW_OP_CREATED, "[{\"path\":\"notes/a.md\"}]", 0, SYNC_OK, NULL, &keep);
    CU_ASSERT_EQUAL(r.op, GW_OP_CREATED);
    CU_ASSERT_EQUAL(r.path_len, 10);
    CU_ASSERT_NSTRING_EQUAL(r.path, "notes/a.md", 10);
    CU_ASSERT_PTR_NULL(r.content);
    json_object_put(keep);

    r = check_req(__LINE__, GW_OP_MODIFIED, "[{\"path\":\"a.md\",\"content\":\"# T\\n\\u00e9\"}]", 0,
                  SYNC_OK, NULL, &keep);
    CU_ASSERT_EQUAL(r.content_len, 6);
    CU_ASSERT_NSTRING_EQUAL(r.content, "# T\n\xc3\xa9", 6);
    json_object_put(keep);

    /* empty content is content */
    r = check_req(__LINE__, GW_OP_MODIFIED, "[{\"path\":\"a.md\",\"content\":\"\"}]", 0, SYNC_OK,
                  NULL, &keep);
    CU_ASSERT_PTR_NOT_NULL(r.content);
    CU_ASSERT_EQUAL(r.content_len, 0);
    json_object_put(keep);

    r = check_req(__LINE__, GW_OP_RENAMED, "[{\"oldPath\":\"a.md\",\"newPath\":\"b/c.md\"}]", 0,
                  SYNC_OK, NULL, &keep);
    CU_ASSERT_NSTRING_EQUAL(r.path, "a.md", 4);
    CU_ASSERT_EQUAL(r.new_len, 6);
    CU_ASSERT_NSTRING_EQUAL(r.new_path, "b/c.md", 6);
    json_object_put(keep);

    /* other members and further arguments are ignored; dotfiles are paths */
    REQ_OK(GW_OP_DELETED, "[{\"path\":\".obsidian/app.json\",\"hash\":\"x\",\"n\":1}, 2, \"x\"]");
    REQ_OK(GW_OP_MODIFIED, "[{\"content\":\"x\",\"path\":\"\xe6\x97\xa5\xe8\xa8\x98.md\"}]");
}

static void test_request_invalid(void)
{
    /* not an object */
    REQ_BAD(GW_OP_CREATED, "[]", "object");
    REQ_BAD(GW_OP_CREATED, "[\"a.md\"]", "object");
    REQ_BAD(GW_OP_CREATED, "[null]", "object");
    REQ_BAD(GW_OP_CREATED, "[[{\"path\":\"a.md\"}]]", "object");
    REQ_BAD(GW_OP_CREATED, "[1]", "object");
    /* missing or mistyped members */
    REQ_BAD(GW_OP_CREATED, "[{}]", "path is required");
    REQ_BAD(GW_OP_DELETED, "[{\"Path\":\"a.md\"}]", "path is required");
    REQ_BAD(GW_OP_CREATED, "[{\"path\":1}]", "path must be a string");
    REQ_BAD(GW_OP_CREATED, "[{\"path\":null}]", "path must be a string");
    REQ_BAD(GW_OP_CREATED, "[{\"path\":[\"a.md\"]}]", "path must be a string");
    REQ_BAD(GW_OP_MODIFIED, "[{\"path\":\"a.md\"}]", "content is required");
    REQ_BAD(GW_OP_MODIFIED, "[{\"path\":\"a.md\",\"content\":null}]", "content must be a string");
    REQ_BAD(GW_OP_MODIFIED, "[{\"path\":\"a.md\",\"content\":{\"x\":1}}]", "content must be a string");
    REQ_BAD(GW_OP_MODIFIED, "[{\"content\":\"x\"}]", "path is required");
    REQ_BAD(GW_OP_RENAMED, "[{\"oldPath\":\"a.md\"}]", "newPath is required");
    REQ_BAD(GW_OP_RENAMED, "[{\"newPath\":\"a.md\"}]", "oldPath is required");
    REQ_BAD(GW_OP_RENAMED, "[{\"path\":\"a.md\",\"newPath\":\"b.md\"}]", "oldPath is required");
    REQ_BAD(GW_OP_RENAMED, "[{\"oldPath\":\"a.md\",\"newPath\":false}]", "newPath must be a string");
    /* the path rules */
    REQ_BAD(GW_OP_CREATED, "[{\"path\":\"\"}]", "path");
    REQ_BAD(GW_OP_CREATED, "[{\"path\":\"/a.md\"}]", "path");
    REQ_BAD(GW_OP_CREATED, "[{\"path\":\"a/../b.md\"}]", "path");
    REQ_BAD(GW_OP_CREATED, "[{\"path\":\"a/\"}]", "path");
    REQ_BAD(GW_OP_CREATED, "[{\"path\":\"a?.md\"}]", "path");
    REQ_BAD(GW_OP_CREATED, "[{\"path\":\"a\\u0000b.md\"}]", "path");
    REQ_BAD(GW_OP_DELETED, "[{\"path\":\"a\\nb.md\"}]", "path");
    REQ_BAD(GW_OP_RENAMED, "[{\"oldPath\":\"a.md\",\"newPath\":\"b//c.md\"}]", "newPath");

    /* binary attachments: content travels as base64 text */
    check_req(__LINE__, GW_OP_MODIFIED, "[{\"path\":\"a.png\",\"content\":{\"_placeholder\":true,\"num\":0}}]",
              1, SYNC_EINVAL, "binary", NULL);
    check_req(__LINE__, GW_OP_CREATED, "[{\"path\":\"a.png\"}]", 1, SYNC_EINVAL, "base64", NULL);
}

static void test_request_null_args(void)
{
    struct sync_err err = { 0 };
    struct gw_request r;

    CU_ASSERT_EQUAL(gw_request_parse(GW_OP_CREATED, NULL, 0, &r, &err), SYNC_EINVAL);
    CU_ASSERT_EQUAL(gw_request_parse(GW_OP_UNKNOWN, NULL, 0, &r, &err), SYNC_EINVAL);
}

/* ---- acks and codes ------------------------------------------------------------ */

static void check_json(int line, json_object *o, const char *want)
{
    size_t len = 0;
    const char *got = o ? jsonx_text(o, &len) : "(NULL)";

    if (strcmp(got, want) != 0)
        fprintf(stderr, "\n  line %d:\n    got  %s\n    want %s\n", line, got, want);
    CU_ASSERT_STRING_EQUAL(got, want);
    json_object_put(o);
}
#define JSON_IS(o, want) check_json(__LINE__, o, want)

static void test_acks(void)
{
    JSON_IS(gw_ack_ok(HASH_A), "[{\"success\":true,\"hash\":\"" HASH_A "\"}]");
    JSON_IS(gw_ack_ok(NULL), "[{\"success\":true}]");
    JSON_IS(gw_ack_error("FORBIDDEN", "no write permission"),
            "[{\"success\":false,\"error\":{\"code\":\"FORBIDDEN\",\"message\":\"no write permission\"}}]");
    JSON_IS(gw_ack_error("VALIDATION_ERROR", "a \"quoted\" path/x"),
            "[{\"success\":false,\"error\":{\"code\":\"VALIDATION_ERROR\",\"message\":\"a \\\"quoted\\\" path/x\"}}]");
    JSON_IS(gw_ack_error("INTERNAL_ERROR", NULL),
            "[{\"success\":false,\"error\":{\"code\":\"INTERNAL_ERROR\",\"message\":\"\"}}]");
}

static void test_codes(void)
{
    CU_ASSERT_STRING_EQUAL(gw_ack_code(SYNC_EINVAL), "VALIDATION_ERROR");
    CU_ASSERT_STRING_EQUAL(gw_ack_code(SYNC_ETOOBIG), "VALIDATION_ERROR");
    CU_ASSERT_STRING_EQUAL(gw_ack_code(SYNC_EFORBIDDEN), "FORBIDDEN");
    CU_ASSERT_STRING_EQUAL(gw_ack_code(SYNC_ENOTFOUND), "FORBIDDEN");
    CU_ASSERT_STRING_EQUAL(gw_ack_code(SYNC_EUNAVAIL), "UNAVAILABLE");
    CU_ASSERT_STRING_EQUAL(gw_ack_code(SYNC_EDB), "INTERNAL_ERROR");
    CU_ASSERT_STRING_EQUAL(gw_ack_code(SYNC_ENOMEM), "INTERNAL_ERROR");
    CU_ASSERT_STRING_EQUAL(gw_ack_code(SYNC_ECONFLICT), "INTERNAL_ERROR");

    CU_ASSERT_STRING_EQUAL(gw_auth_refusal(SYNC_EUNAUTH), "INVALID_KEY");
    CU_ASSERT_STRING_EQUAL(gw_auth_refusal(SYNC_ENOTFOUND), "INVALID_KEY");
    CU_ASSERT_STRING_EQUAL(gw_auth_refusal(SYNC_EREVOKED), "KEY_REVOKED");
    CU_ASSERT_STRING_EQUAL(gw_auth_refusal(SYNC_EUNAVAIL), "UNAVAILABLE");
    CU_ASSERT_STRING_EQUAL(gw_auth_refusal(SYNC_EDB), "UNAVAILABLE");
}

/* ---- server -> client events ------------------------------------------------------ */

/* A feed item; strings are copied so sync_feed_item fields can be freed. */
static void item_init(struct sync_feed_item *it, const char *kind, long long seq, const char *path,
                      const char *old_path, bool has_file)
{
    memset(it, 0, sizeof *it);
    it->change.seq = seq;
    snprintf(it->change.kind, sizeof it->change.kind, "%s", kind);
    it->change.path = strdup(path);
    it->change.old_path = old_path ? strdup(old_path) : NULL;
    it->change.size = -1;
    snprintf(it->change.at, sizeof it->change.at, "2024-01-15T10:00:03.000Z");
    it->has_file = has_file;
    if (has_file) {
        it->file.path = strdup(path);
        it->file.content = strdup("# Title\n\"q\" a/b");
        it->file.content_len = strlen(it->file.content);
        snprintf(it->file.hash, sizeof it->file.hash, HASH_A);
        it->file.size = (long long)it->file.content_len;
        it->file.extension = strdup("md");
        snprintf(it->file.created_at, sizeof it->file.created_at, "2024-01-15T10:00:01.000Z");
        snprintf(it->file.updated_at, sizeof it->file.updated_at, "2024-01-15T10:00:02.000Z");
        it->file.seq = seq;
    }
}

static void item_clear(struct sync_feed_item *it)
{
    free(it->change.path);
    free(it->change.old_path);
    free(it->change.origin);
    sync_file_clear(&it->file);
}

static void check_event(int line, struct sync_feed_item *it, int want_rc, const char *want_name,
                        const char *want_json)
{
    const char *name = NULL;
    json_object *args = NULL;
    int rc = gw_event_build(it, &name, &args);

    if (rc != want_rc || (want_name && (!name || strcmp(name, want_name) != 0)))
        fprintf(stderr, "\n  line %d: gw_event_build = %d %s, want %d %s\n", line, rc,
                name ? name : "(none)", want_rc, want_name ? want_name : "(none)");
    CU_ASSERT_EQUAL(rc, want_rc);
    if (want_json)
        check_json(line, args, want_json);
    else {
        CU_ASSERT_PTR_NULL(args);
        json_object_put(args);
    }
    item_clear(it);
}

#define FILE_STATE "\"content\":\"# Title\\n\\\"q\\\" a/b\",\"hash\":\"" HASH_A "\",\"size\":15," \
                   "\"isBinary\":false,\"extension\":\"md\""

static void test_event_created_modified(void)
{
    struct sync_feed_item it;

    item_init(&it, "created", 7, "notes/a.md", NULL, true);
    check_event(__LINE__, &it, GW_EVENT_SEND, "file-created",
                "[{\"path\":\"notes/a.md\"," FILE_STATE ",\"createdAt\":\"2024-01-15T10:00:01.000Z\",\"seq\":7}]");

    item_init(&it, "modified", 8, "notes/a.md", NULL, true);
    check_event(__LINE__, &it, GW_EVENT_SEND, "file-modified",
                "[{\"path\":\"notes/a.md\"," FILE_STATE ",\"updatedAt\":\"2024-01-15T10:00:02.000Z\",\"seq\":8}]");

    /* no extension: null */
    item_init(&it, "modified", 9, "README", NULL, true);
    free(it.file.extension);
    it.file.extension = NULL;
    it.file.is_binary = true;
    check_event(__LINE__, &it, GW_EVENT_SEND, "file-modified",
                "[{\"path\":\"README\",\"content\":\"# Title\\n\\\"q\\\" a/b\",\"hash\":\"" HASH_A
                "\",\"size\":15,\"isBinary\":true,\"extension\":null,"
                "\"updatedAt\":\"2024-01-15T10:00:02.000Z\",\"seq\":9}]");
}

static void test_event_skips(void)
{
    struct sync_feed_item it;

    /* the file is gone (deleted or renamed away since): the delete follows */
    item_init(&it, "created", 3, "a.md", NULL, false);
    check_event(__LINE__, &it, GW_EVENT_SKIP, NULL, NULL);
    item_init(&it, "modified", 3, "a.md", NULL, false);
    check_event(__LINE__, &it, GW_EVENT_SKIP, NULL, NULL);

    /* changed again since: the later change carries the newer state */
    item_init(&it, "modified", 3, "a.md", NULL, true);
    it.file.seq = 4;
    check_event(__LINE__, &it, GW_EVENT_SKIP, NULL, NULL);
    item_init(&it, "created", 3, "a.md", NULL, true);
    it.file.seq = 10;
    check_event(__LINE__, &it, GW_EVENT_SKIP, NULL, NULL);

    /* unknown kind */
    item_init(&it, "purged", 3, "a.md", NULL, true);
    check_event(__LINE__, &it, SYNC_EINVAL, NULL, NULL);
}

static void test_event_deleted(void)
{
    struct sync_feed_item it;

    item_init(&it, "deleted", 12, "old/x.md", NULL, false);
    check_event(__LINE__, &it, GW_EVENT_SEND, "file-deleted",
                "[{\"path\":\"old/x.md\",\"deletedAt\":\"2024-01-15T10:00:03.000Z\",\"seq\":12}]");
}

static void test_event_renamed(void)
{
    struct sync_feed_item it;

    item_init(&it, "renamed", 20, "b/new.md", "a/old.md", true);
    check_event(__LINE__, &it, GW_EVENT_SEND, "file-renamed",
                "[{\"oldPath\":\"a/old.md\",\"newPath\":\"b/new.md\"," FILE_STATE
                ",\"updatedAt\":\"2024-01-15T10:00:02.000Z\",\"seq\":20}]");

    /* never skipped, even when the file changed again since */
    item_init(&it, "renamed", 20, "b/new.md", "a/old.md", true);
    it.file.seq = 25;
    check_event(__LINE__, &it, GW_EVENT_SEND, "file-renamed",
                "[{\"oldPath\":\"a/old.md\",\"newPath\":\"b/new.md\"," FILE_STATE
                ",\"updatedAt\":\"2024-01-15T10:00:02.000Z\",\"seq\":20}]");

    /* the new path is no longer live: an empty file's state, the new path's
     * own extension and binary flag, the change's time */
    item_init(&it, "renamed", 21, "img/P.PNG", "p.png", false);
    check_event(__LINE__, &it, GW_EVENT_SEND, "file-renamed",
                "[{\"oldPath\":\"p.png\",\"newPath\":\"img/P.PNG\",\"content\":\"\",\"hash\":\"" EMPTY_HASH
                "\",\"size\":0,\"isBinary\":true,\"extension\":\"png\","
                "\"updatedAt\":\"2024-01-15T10:00:03.000Z\",\"seq\":21}]");
    item_init(&it, "renamed", 22, ".gitignore", "x", false);
    check_event(__LINE__, &it, GW_EVENT_SEND, "file-renamed",
                "[{\"oldPath\":\"x\",\"newPath\":\".gitignore\",\"content\":\"\",\"hash\":\"" EMPTY_HASH
                "\",\"size\":0,\"isBinary\":false,\"extension\":null,"
                "\"updatedAt\":\"2024-01-15T10:00:03.000Z\",\"seq\":22}]");
}

static void test_event_big_content(void)
{
    struct sync_feed_item it;
    const char *name;
    json_object *args = NULL, *o, *v;
    size_t n = 10u * 1024 * 1024, i;

    item_init(&it, "modified", 5, "big.md", NULL, true);
    free(it.file.content);
    it.file.content = malloc(n + 1);
    for (i = 0; i < n; i++)
        it.file.content[i] = "ab\"\n/\\"[i % 6];
    it.file.content[n] = '\0';
    it.file.content_len = n;
    CU_ASSERT_EQUAL(gw_event_build(&it, &name, &args), GW_EVENT_SEND);
    o = json_object_array_get_idx(args, 0);
    CU_ASSERT_TRUE(json_object_object_get_ex(o, "content", &v));
    CU_ASSERT_EQUAL((size_t)json_object_get_string_len(v), n);
    CU_ASSERT_EQUAL(memcmp(json_object_get_string(v), it.file.content, n), 0);
    json_object_put(args);
    item_clear(&it);
}

int main(void)
{
    CU_TestInfo names[] = {
        { "event names", test_op_names },
        CU_TEST_INFO_NULL,
    };
    CU_TestInfo requests[] = {
        { "valid requests", test_request_valid },
        { "invalid requests", test_request_invalid },
        { "no arguments", test_request_null_args },
        CU_TEST_INFO_NULL,
    };
    CU_TestInfo acks[] = {
        { "ack shapes", test_acks },
        { "error codes", test_codes },
        CU_TEST_INFO_NULL,
    };
    CU_TestInfo events[] = {
        { "created and modified", test_event_created_modified },
        { "skipped changes", test_event_skips },
        { "deleted", test_event_deleted },
        { "renamed", test_event_renamed },
        { "10 MiB content", test_event_big_content },
        CU_TEST_INFO_NULL,
    };
    CU_SuiteInfo suites[] = {
        { "gw names", NULL, NULL, NULL, NULL, names },
        { "gw requests", NULL, NULL, NULL, NULL, requests },
        { "gw acks", NULL, NULL, NULL, NULL, acks },
        { "gw events", NULL, NULL, NULL, NULL, events },
        CU_SUITE_INFO_NULL,
    };
    return cutest_run(suites);
}
