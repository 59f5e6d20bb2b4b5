/* test_gw_queue.c - the gateway's job FIFO: order, take-all, close
 * semantics, and several producer threads against one consumer (each
 * producer's jobs arrive in the order pushed, none lost or doubled; ASan
 * and TSan builds check the locking). */
#include <pthread.h>
#include <string.h>

#include "cutest.h"
#include "gw_queue.h"

static struct gw_job *job(uint64_t serial)
{
    struct gw_job *j = gw_job_new(GW_JOB_WRITE);

    if (j)
        j->serial = serial;
    return j;
}

static void test_order_and_take_all(void)
{
    struct gw_queue q;
    struct gw_job *j, *all;
    uint64_t i;

    CU_ASSERT_EQUAL_FATAL(gw_queue_init(&q), SYNC_OK);
    CU_ASSERT_PTR_NULL(gw_queue_take_all(&q));
    for (i = 1; i <= 5; i++)
        CU_ASSERT_TRUE(gw_queue_push(&q, job(i)));
    CU_ASSERT_EQUAL(gw_queue_len(&q), 5);
    j = gw_queue_pop_wait(&q);
    CU_ASSERT_EQUAL(j->serial, 1);
    gw_job_free(j);
    all = gw_queue_take_all(&q);
    CU_ASSERT_EQUAL(gw_queue_len(&q), 0);
    for (i = 2, j = all; j; j = j->next, i++)
        CU_ASSERT_EQUAL(j->serial, i);
    CU_ASSERT_EQUAL(i, 6);
    gw_job_free_list(all);
    /* usable again after take_all */
    CU_ASSERT_TRUE(gw_queue_push(&q, job(7)));
    j = gw_queue_pop_wait(&q);
    CU_ASSERT_EQUAL(j->serial, 7);
    gw_job_free(j);
    gw_queue_destroy(&q);
}

static void test_close(void)
{
    struct gw_queue q;
    struct gw_job *j = job(1);

    CU_ASSERT_EQUAL_FATAL(gw_queue_init(&q), SYNC_OK);
    CU_ASSERT_TRUE(gw_queue_push(&q, job(2)));
    gw_queue_close(&q);
    CU_ASSERT_FALSE(gw_queue_push(&q, j));          /* still ours */
    gw_job_free(j);
    CU_ASSERT_PTR_NULL(gw_queue_pop_wait(&q));      /* closed: no waiting */
    gw_queue_destroy(&q);                           /* frees job 2 */
}

/* a waiter is woken by close */
static void *waiter(void *arg)
{
    return gw_queue_pop_wait(arg);
}

static void test_close_wakes(void)
{
    struct gw_queue q;
    pthread_t t;
    void *ret = (void *)1;

    CU_ASSERT_EQUAL_FATAL(gw_queue_init(&q), SYNC_OK);
    CU_ASSERT_EQUAL_FATAL(pthread_create(&t, NULL, waiter, &q), 0);
    gw_queue_close(&q);
    pthread_join(t, &ret);
    CU_ASSERT_PTR_NULL(ret);
    gw_queue_destroy(&q);
}

#define PRODUCERS 4
#define PER_PRODUCER 20000

struct producer {
    struct gw_queue *q;
    uint64_t id;
};

static void *produce(void *arg)
{
    struct producer *p = arg;
    uint64_t i;

    for (i = 0; i < PER_PRODUCER; i++) {
        struct gw_job *j = job(p->id * 1000000 + i);
        if (!j || !gw_queue_push(p->q, j)) {
            gw_job_free(j);
            break;
        }
    }
    return NULL;
}

static void test_threads(void)
{
    struct gw_queue q;
    struct producer p[PRODUCERS];
    pthread_t t[PRODUCERS];
    uint64_t next[PRODUCERS] = { 0 };
    size_t got = 0;
    int i, bad = 0;

    CU_ASSERT_EQUAL_FATAL(gw_queue_init(&q), SYNC_OK);
    for (i = 0; i < PRODUCERS; i++) {
        p[i].q = &q;
        p[i].id = (uint64_t)i;
        CU_ASSERT_EQUAL_FATAL(pthread_create(&t[i], NULL, produce, &p[i]), 0);
    }
    while (got < (size_t)PRODUCERS * PER_PRODUCER) {
        struct gw_job *j = gw_queue_take_all(&q);
        if (!j) {
            j = gw_queue_pop_wait(&q);
            if (j)
                j->next = NULL;
        }
        while (j) {
            struct gw_job *nx = j->next;
            uint64_t who = j->serial / 1000000, seq = j->serial % 1000000;
            if (who >= PRODUCERS || seq != next[who])
                bad++;
            else
                next[who]++;
            got++;
            gw_job_free(j);
            j = nx;
        }
    }
    for (i = 0; i < PRODUCERS; i++)
        pthread_join(t[i], NULL);
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL(gw_queue_len(&q), 0);
    for (i = 0; i < PRODUCERS; i++)
        CU_ASSERT_EQUAL(next[i], PER_PRODUCER);
    gw_queue_destroy(&q);
}

static void test_job_free_owns(void)
{
    struct gw_job *j = gw_job_new(GW_JOB_AUTH);

    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    j->key = strdup("sk_store_x");
    j->path = strdup("a.md");
    j->new_path = strdup("b.md");
    j->content = strdup("content");
    j->origin = strdup("sid");
    gw_job_free(j);                                 /* ASan: all of it */
    gw_job_free(NULL);
    gw_job_free_list(NULL);
}

int main(void)
{
    CU_TestInfo tests[] = {
        { "order and take-all", test_order_and_take_all },
        { "close", test_close },
        { "close wakes a waiter", test_close_wakes },
        { "producer threads", test_threads },
        { "a job owns its strings", test_job_free_owns },
        CU_TEST_INFO_NULL,
    };
    CU_SuiteInfo suites[] = {
        { "gw queue", NULL, NULL, NULL, NULL, tests },
        CU_SUITE_INFO_NULL,
    };
    return cutest_run(suites);
}
