/* test_gw_stores.c - the gateway's table of stores with sockets: entries
 * live while sockets do, dirty marking by notification / creation /
 * reconnect, last_seq only advancing for the entry that was fetched (a
 * dropped and re-created entry invalidates a fetch in flight), and the
 * handover running under the lock exactly when the advance succeeds. */
#include <string.h>

#include "cutest.h"
#include "err.h"
#include "gw_stores.h"

#define S1 "11111111-1111-4111-8111-111111111111"
#define S2 "22222222-2222-4222-8222-222222222222"

static int commits;
static void count_commit(void *arg)
{
    (void)arg;
    commits++;
}

static void test_attach_detach(void)
{
    struct gw_stores t;
    bool created;

    CU_ASSERT_EQUAL_FATAL(gw_stores_init(&t), SYNC_OK);
    CU_ASSERT_EQUAL(gw_stores_last_seq(&t, S1), -1);
    CU_ASSERT_EQUAL(gw_stores_attach(&t, S1, 5, &created), SYNC_OK);
    CU_ASSERT_TRUE(created);
    CU_ASSERT_EQUAL(gw_stores_attach(&t, S1, 9, &created), SYNC_OK);
    CU_ASSERT_FALSE(created);                       /* existing entry keeps its seq */
    CU_ASSERT_EQUAL(gw_stores_last_seq(&t, S1), 5);
    CU_ASSERT_EQUAL(gw_stores_count(&t), 1);
    CU_ASSERT_EQUAL(gw_stores_attach(&t, "not-a-uuid", 0, &created), SYNC_EINVAL);
    gw_stores_detach(&t, S1);
    CU_ASSERT_EQUAL(gw_stores_count(&t), 1);
    gw_stores_detach(&t, S1);
    CU_ASSERT_EQUAL(gw_stores_count(&t), 0);        /* gone with its last socket */
    CU_ASSERT_EQUAL(gw_stores_last_seq(&t, S1), -1);
    gw_stores_detach(&t, S2);                       /* unknown: no-op */
    /* notifications for stores without sockets are ignored */
    CU_ASSERT_FALSE(gw_stores_notify(&t, S1, 10));
    gw_stores_destroy(&t);
}

static void test_dirty(void)
{
    struct gw_stores t;
    struct gw_store_ref r;
    bool created;

    CU_ASSERT_EQUAL_FATAL(gw_stores_init(&t), SYNC_OK);
    gw_stores_attach(&t, S1, 5, &created);
    /* a new entry is dirty: a change may have been notified before it existed */
    CU_ASSERT_TRUE(gw_stores_next_dirty(&t, &r));
    CU_ASSERT_STRING_EQUAL(r.store_id, S1);
    CU_ASSERT_EQUAL(r.last_seq, 5);
    CU_ASSERT_FALSE(gw_stores_next_dirty(&t, &r));

    /* a seq already delivered does not dirty it; a newer one does, once */
    CU_ASSERT_TRUE(gw_stores_notify(&t, S1, 5));
    CU_ASSERT_FALSE(gw_stores_next_dirty(&t, &r));
    CU_ASSERT_TRUE(gw_stores_notify(&t, S1, 6));
    CU_ASSERT_TRUE(gw_stores_notify(&t, S1, 7));
    CU_ASSERT_TRUE(gw_stores_next_dirty(&t, &r));
    CU_ASSERT_FALSE(gw_stores_next_dirty(&t, &r));

    /* after a reconnect every entry is dirty */
    gw_stores_attach(&t, S2, 0, &created);
    CU_ASSERT_TRUE(gw_stores_next_dirty(&t, &r));
    gw_stores_mark_all(&t);
    CU_ASSERT_TRUE(gw_stores_next_dirty(&t, &r));
    CU_ASSERT_TRUE(gw_stores_next_dirty(&t, &r));
    CU_ASSERT_FALSE(gw_stores_next_dirty(&t, &r));

    /* a failed fetch is retried */
    gw_stores_redirty(&t, &r);
    CU_ASSERT_TRUE(gw_stores_next_dirty(&t, &r));
    CU_ASSERT_FALSE(gw_stores_next_dirty(&t, &r));

    /* a dirty entry that goes away takes its flag along */
    CU_ASSERT_TRUE(gw_stores_notify(&t, S2, 100));
    gw_stores_detach(&t, S2);
    CU_ASSERT_TRUE(gw_stores_notify(&t, S1, 100));
    CU_ASSERT_TRUE(gw_stores_next_dirty(&t, &r));
    CU_ASSERT_STRING_EQUAL(r.store_id, S1);
    CU_ASSERT_FALSE(gw_stores_next_dirty(&t, &r));
    CU_ASSERT_EQUAL(t.ndirty, 0);
    gw_stores_destroy(&t);
}

static void test_advance(void)
{
    struct gw_stores t;
    struct gw_store_ref r, stale;
    bool created;

    CU_ASSERT_EQUAL_FATAL(gw_stores_init(&t), SYNC_OK);
    gw_stores_attach(&t, S1, 5, &created);
    CU_ASSERT_TRUE(gw_stores_next_dirty(&t, &r));
    commits = 0;
    CU_ASSERT_TRUE(gw_stores_advance(&t, &r, 9, count_commit, NULL));
    CU_ASSERT_EQUAL(commits, 1);
    CU_ASSERT_EQUAL(gw_stores_last_seq(&t, S1), 9);
    /* the same fetch handed over twice: refused (seq never delivered twice) */
    CU_ASSERT_FALSE(gw_stores_advance(&t, &r, 9, count_commit, NULL));
    CU_ASSERT_EQUAL(commits, 1);
    r.last_seq = 9;
    CU_ASSERT_TRUE(gw_stores_advance(&t, &r, 12, count_commit, NULL));
    CU_ASSERT_EQUAL(commits, 2);

    /* the entry was dropped and re-created while a fetch ran: stale */
    gw_stores_notify(&t, S1, 13);
    CU_ASSERT_TRUE(gw_stores_next_dirty(&t, &stale));
    gw_stores_detach(&t, S1);
    gw_stores_attach(&t, S1, 20, &created);
    CU_ASSERT_TRUE(created);
    CU_ASSERT_FALSE(gw_stores_advance(&t, &stale, 13, count_commit, NULL));
    CU_ASSERT_EQUAL(commits, 2);
    CU_ASSERT_EQUAL(gw_stores_last_seq(&t, S1), 20);
    /* nor does its failure re-dirty the new entry's generation twice */
    CU_ASSERT_TRUE(gw_stores_next_dirty(&t, &r));
    gw_stores_redirty(&t, &stale);
    CU_ASSERT_FALSE(gw_stores_next_dirty(&t, &r));
    /* gone entirely */
    gw_stores_detach(&t, S1);
    CU_ASSERT_FALSE(gw_stores_advance(&t, &r, 30, count_commit, NULL));
    gw_stores_destroy(&t);
}

static void test_many(void)
{
    struct gw_stores t;
    struct gw_store_ref r;
    char id[64];                    /* room for any int: gcc checks the format */
    bool created;
    int i, n = 0;

    CU_ASSERT_EQUAL_FATAL(gw_stores_init(&t), SYNC_OK);
    for (i = 0; i < 1000; i++) {
        snprintf(id, sizeof id, "%08d-0000-4000-8000-000000000000", i);
        CU_ASSERT_EQUAL(gw_stores_attach(&t, id, i, &created), SYNC_OK);
    }
    CU_ASSERT_EQUAL(gw_stores_count(&t), 1000);
    while (gw_stores_next_dirty(&t, &r))
        n++;
    CU_ASSERT_EQUAL(n, 1000);
    CU_ASSERT_EQUAL(gw_stores_last_seq(&t, "00000999-0000-4000-8000-000000000000"), 999);
    for (i = 0; i < 1000; i += 2) {
        snprintf(id, sizeof id, "%08d-0000-4000-8000-000000000000", i);
        gw_stores_detach(&t, id);
    }
    CU_ASSERT_EQUAL(gw_stores_count(&t), 500);
    gw_stores_destroy(&t);                          /* ASan: nothing leaks */
}

int main(void)
{
    CU_TestInfo tests[] = {
        { "attach and detach", test_attach_detach },
        { "dirty marking", test_dirty },
        { "advance and staleness", test_advance },
        { "a thousand stores", test_many },
        CU_TEST_INFO_NULL,
    };
    CU_SuiteInfo suites[] = {
        { "gw stores", NULL, NULL, NULL, NULL, tests },
        CU_SUITE_INFO_NULL,
    };
    return cutest_run(suites);
}
