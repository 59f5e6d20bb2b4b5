/* cutest.h - the one way every CUnit program in tests/unit/ runs and reports.
 *
 * CU_basic_run_tests() returns CUE_SUCCESS even when tests fail, and
 * CU_cleanup_registry() zeroes the counters, so the counts are read first.
 * Every program ends its output with "N passed, N failed" (tests, not
 * assertions) and exits non-zero when anything failed; tests/run-all.sh sums
 * those lines. */
#ifndef CUTEST_H
#define CUTEST_H

#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>

/* Registers the NULL-terminated suites, runs them, prints the summary line. */
static inline int cutest_run(CU_SuiteInfo *suites)
{
    unsigned run, failed_tests, failed_asserts;

    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    if (CU_register_suites(suites) != CUE_SUCCESS) {
        fprintf(stderr, "cannot register suites: %s\n", CU_get_error_msg());
        CU_cleanup_registry();
        return 2;
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    run = CU_get_number_of_tests_run();
    failed_tests = CU_get_number_of_tests_failed();
    failed_asserts = CU_get_number_of_failures();
    /* a suite whose init failed runs nothing and counts as a failure */
    failed_tests += CU_get_number_of_suites_failed();
    CU_cleanup_registry();
    printf("\n%u passed, %u failed\n", run >= failed_tests ? run - failed_tests : 0, failed_tests);
    return (failed_tests || failed_asserts) ? 1 : 0;
}

/* The throwaway database of this test run; NULL when none was started. */
static inline const char *cutest_db_url(void)
{
    const char *u = getenv("DATABASE_URL");
    return (u && *u) ? u : NULL;
}

#endif
