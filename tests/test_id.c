/* test_id.c - node ids as text: lm_id_format and lm_id_parse (core/node.c).
 *
 * A table of strings the parser must accept (1 to 16 hex digits in either
 * case, leading zeros) with the value each means, and strings it must
 * refuse (empty, 17 digits, non-hex, a "0x" prefix, spaces, signs); a
 * table of values and their 16-digit lowercase form; and format->parse
 * round trips over values that exercise every digit position. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "err.h"
#include "mesh/node.h"

typedef struct pcase {
    const char *s;
    int ret; /* 0 or LM_EINVAL */
    uint64_t id;
} pcase;

static const pcase parse_cases[] = {
    {"0", 0, 0},
    {"1", 0, 1},
    {"f", 0, 0xf},
    {"F", 0, 0xf},
    {"a", 0, 0xa},
    {"10", 0, 0x10},
    {"abc", 0, 0xabc},
    {"ABC", 0, 0xabc},
    {"aBcD", 0, 0xabcd},
    {"12345", 0, 0x12345},
    {"deadbeef", 0, 0xdeadbeef},
    {"DEADBEEF", 0, 0xdeadbeef},
    {"123456789", 0, 0x123456789},
    {"0123456789abcdef", 0, 0x0123456789abcdefULL},
    {"0123456789ABCDEF", 0, 0x0123456789abcdefULL},
    {"fedcba9876543210", 0, 0xfedcba9876543210ULL},
    {"ffffffffffffffff", 0, UINT64_MAX},
    {"FFFFFFFFFFFFFFFF", 0, UINT64_MAX},
    {"8000000000000000", 0, 0x8000000000000000ULL},
    {"0000000000000000", 0, 0},
    {"0000000000000001", 0, 1},
    {"000000000000000a", 0, 0xa},
    {"00ff", 0, 0xff},
    {"7fffffffffffffff", 0, INT64_MAX},

    {"", LM_EINVAL, 0},
    {"00000000000000000", LM_EINVAL, 0}, /* 17 zeros */
    {"10000000000000000", LM_EINVAL, 0}, /* 17 digits: 2^64 */
    {"fffffffffffffffff", LM_EINVAL, 0}, /* 17 digits */
    {"123456789abcdef01", LM_EINVAL, 0},
    {"0x1", LM_EINVAL, 0},
    {"0X1", LM_EINVAL, 0},
    {"0xffffffffffffff", LM_EINVAL, 0}, /* 16 characters with the prefix */
    {"g", LM_EINVAL, 0},
    {"G", LM_EINVAL, 0},
    {"12g4", LM_EINVAL, 0},
    {"deadbeeg", LM_EINVAL, 0},
    {"12 34", LM_EINVAL, 0},
    {" 1234", LM_EINVAL, 0},
    {"1234 ", LM_EINVAL, 0},
    {"1234\n", LM_EINVAL, 0},
    {"\t1", LM_EINVAL, 0},
    {"-1", LM_EINVAL, 0},
    {"+1", LM_EINVAL, 0},
    {"1.0", LM_EINVAL, 0},
    {"h1", LM_EINVAL, 0},
    {"@", LM_EINVAL, 0},        /* one below 'A' */
    {"`", LM_EINVAL, 0},        /* one below 'a' */
    {"/", LM_EINVAL, 0},        /* one below '0' */
    {":", LM_EINVAL, 0},        /* one above '9' */
    {"\xc3\xa9", LM_EINVAL, 0}, /* non-ASCII */
};

static void test_parse_table(void)
{
    for (size_t i = 0; i < sizeof parse_cases / sizeof parse_cases[0]; i++) {
        const pcase *c = &parse_cases[i];
        uint64_t id = 0x5a5a5a5a5a5a5a5aULL;
        int ret = lm_id_parse(c->s, &id);
        if (ret != c->ret || (ret == 0 && id != c->id)) {
            fprintf(stderr,
                    "parse \"%s\": ret %d id %016" PRIx64
                    ", want ret %d id %016" PRIx64 "\n",
                    c->s, ret, id, c->ret, c->id);
            CHECK(!"lm_id_parse");
        }
    }
}

typedef struct fcase {
    uint64_t id;
    const char *s;
} fcase;

static const fcase format_cases[] = {
    {0, "0000000000000000"},
    {1, "0000000000000001"},
    {0xabc, "0000000000000abc"},
    {0xdeadbeef, "00000000deadbeef"},
    {0x0123456789abcdefULL, "0123456789abcdef"},
    {0x8000000000000000ULL, "8000000000000000"},
    {UINT64_MAX, "ffffffffffffffff"},
};

static void test_format_table(void)
{
    for (size_t i = 0; i < sizeof format_cases / sizeof format_cases[0]; i++) {
        char buf[LM_ID_STR];
        memset(buf, 'x', sizeof buf);
        lm_id_format(format_cases[i].id, buf);
        CHECK_EQ_STR(buf, format_cases[i].s);
        CHECK(buf[LM_ID_STR - 1] == '\0');
    }
}

/* Format then parse gives the value back; parse of either case then format
 * gives the lowercase form. */
static void test_round_trip(void)
{
    uint64_t vals[64 * 3 + 4];
    size_t n = 0;
    for (int bit = 0; bit < 64; bit++) {
        uint64_t one = (uint64_t)1 << bit;
        vals[n++] = one;
        vals[n++] = one - 1; /* all digits below the bit set */
        vals[n++] = ~one;
    }
    vals[n++] = 0;
    vals[n++] = UINT64_MAX;
    vals[n++] = 0x0123456789abcdefULL;
    vals[n++] = 0xfedcba9876543210ULL;
    for (size_t i = 0; i < n; i++) {
        char buf[LM_ID_STR];
        uint64_t back = ~vals[i];
        lm_id_format(vals[i], buf);
        CHECK_EQ_INT(strlen(buf), LM_ID_STR - 1);
        CHECK_EQ_INT(lm_id_parse(buf, &back), 0);
        if (back != vals[i]) {
            fprintf(stderr,
                    "round trip %016" PRIx64 " -> %s -> %016" PRIx64 "\n",
                    vals[i], buf, back);
            CHECK(!"round trip");
        }
    }
    uint64_t id = 0;
    char buf[LM_ID_STR];
    CHECK_EQ_INT(lm_id_parse("ABCDEF0123456789", &id), 0);
    lm_id_format(id, buf);
    CHECK_EQ_STR(buf, "abcdef0123456789");
}

int main(void)
{
    RUN(test_parse_table);
    RUN(test_format_table);
    RUN(test_round_trip);
    return check_report();
}
