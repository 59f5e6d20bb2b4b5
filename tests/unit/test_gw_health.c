/* test_gw_health.c - the gateway's health body (served once the sio layer
 * has an HTTP hook): its fields, and 503 while the LISTEN connection is down. */
#include <stdlib.h>
#include <string.h>

#include "cutest.h"
#include "gateway.h"
#include "jsonx.h"

static void check(struct gw *g, int want_status, const char *want_db, long long conns,
                  long long authing, long long rooms)
{
    struct sync_err err = { 0 };
    char *text = NULL;
    size_t len = 0;
    int status = gw_health(g, &text, &len);
    json_object *o = text ? jsonx_parse_object(text, len, &err) : NULL, *v;
    const char *s;
    size_t slen;

    CU_ASSERT_EQUAL(status, want_status);
    CU_ASSERT_PTR_NOT_NULL_FATAL(o);
    CU_ASSERT_EQUAL(jsonx_get_str(o, "status", &s, &slen), SYNC_OK);
    CU_ASSERT_STRING_EQUAL(s, want_status == 200 ? "healthy" : "degraded");
    CU_ASSERT_EQUAL(jsonx_get_str(o, "database", &s, &slen), SYNC_OK);
    CU_ASSERT_STRING_EQUAL(s, want_db);
    CU_ASSERT_TRUE(json_object_object_get_ex(o, "connections", &v));
    CU_ASSERT_EQUAL(json_object_get_int64(v), conns);
    CU_ASSERT_TRUE(json_object_object_get_ex(o, "authenticating", &v));
    CU_ASSERT_EQUAL(json_object_get_int64(v), authing);
    CU_ASSERT_TRUE(json_object_object_get_ex(o, "rooms", &v));
    CU_ASSERT_EQUAL(json_object_get_int64(v), rooms);
    CU_ASSERT_TRUE(json_object_object_get_ex(o, "uptime", &v));
    CU_ASSERT_TRUE(json_object_object_get_ex(o, "notifyLagMs", &v));
    CU_ASSERT_EQUAL(json_object_get_int64(v), 7);
    json_object_put(o);
    free(text);
}

static void test_health(void)
{
    struct gw g;
    bool created;

    memset(&g, 0, sizeof g);
    CU_ASSERT_EQUAL_FATAL(gw_stores_init(&g.stores), SYNC_OK);
    atomic_init(&g.db_state, GW_DB_CONNECTING);
    atomic_init(&g.notify_lag_ms, 7);
    g.started_ms = gw_now_ms();
    check(&g, 503, "connecting", 0, 0, 0);
    atomic_store(&g.db_state, GW_DB_CONNECTED);
    g.nsocks = 5;
    g.naccepted = 3;
    gw_stores_attach(&g.stores, "11111111-1111-4111-8111-111111111111", 0, &created);
    gw_stores_attach(&g.stores, "22222222-2222-4222-8222-222222222222", 0, &created);
    check(&g, 200, "connected", 3, 2, 2);
    atomic_store(&g.db_state, GW_DB_DISCONNECTED);
    check(&g, 503, "disconnected", 3, 2, 2);
    gw_stores_destroy(&g.stores);
}

int main(void)
{
    CU_TestInfo tests[] = {
        { "health body", test_health },
        CU_TEST_INFO_NULL,
    };
    CU_SuiteInfo suites[] = {
        { "gw health", NULL, NULL, NULL, NULL, tests },
        CU_SUITE_INFO_NULL,
    };
    return cutest_run(suites);
}
