/* check.h - the smallest test harness that does the job.
 *
 * CHECK(cond) records a failure with its line and goes on; a test file's
 * main() calls RUN(fn) for each test and ends with check_report(), which
 * prints "N passed, N failed" and returns the exit status for ctest. */
#ifndef LM_CHECK_H
#define LM_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failures;     /* failed CHECKs in the current test */
static int check_tests_passed; /* tests with no failed CHECK */
static int check_tests_failed;

#define CHECK(cond)                                                        \
    do {                                                                   \
        if (!(cond)) {                                                     \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__,         \
                    __LINE__, #cond);                                      \
            check_failures++;                                              \
        }                                                                  \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                 \
    do {                                                                   \
        long long check_a_ = (long long)(a), check_b_ = (long long)(b);    \
        if (check_a_ != check_b_) {                                        \
            fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n",      \
                    __FILE__, __LINE__, #a, #b, check_a_, check_b_);       \
            check_failures++;                                              \
        }                                                                  \
    } while (0)

#define CHECK_EQ_STR(a, b)                                                 \
    do {                                                                   \
        const char *check_a_ = (a), *check_b_ = (b);                       \
        if (strcmp(check_a_, check_b_) != 0) {                             \
            fprintf(stderr, "%s:%d: %s == %s failed: \"%s\" != \"%s\"\n",  \
                    __FILE__, __LINE__, #a, #b, check_a_, check_b_);       \
            check_failures++;                                              \
        }                                                                  \
    } while (0)

#define RUN(fn)                                                            \
    do {                                                                   \
        check_failures = 0;                                                \
        fn();                                                              \
        if (check_failures) {                                              \
            fprintf(stderr, "FAIL %s\n", #fn);                             \
            check_tests_failed++;                                          \
        } else {                                                           \
            check_tests_passed++;                                          \
        }                                                                  \
    } while (0)

static inline int check_report(void)
{
    printf("%d passed, %d failed\n", check_tests_passed, check_tests_failed);
    return check_tests_failed ? 1 : 0;
}

#endif
