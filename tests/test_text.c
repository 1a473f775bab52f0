/* test_text.c - tables of good and bad strings for core/text.c.
 *
 * Each case gives its bytes and length explicitly, so cases can hold NUL
 * bytes and sequences cut short at the end of the buffer. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "text.h"

typedef struct tcase {
    const char *s;
    size_t len;
    bool ok;
    const char *why;
} tcase;

/* A string literal and its length without the terminator. */
#define S(lit) lit, sizeof(lit) - 1

static const tcase utf8_cases[] = {
    {S(""), true, "empty"},
    {S("hello"), true, "ascii"},
    {S("\x7f"), true, "DEL is UTF-8"},
    {S("\x01\t\n"), true, "controls are UTF-8"},
    {S("caf\xc3\xa9"), true, "U+00E9, 2 bytes"},
    {S("\xc2\x80"), true, "U+0080, smallest 2-byte"},
    {S("\xdf\xbf"), true, "U+07FF, largest 2-byte"},
    {S("\xe0\xa0\x80"), true, "U+0800, smallest 3-byte"},
    {S("\xe2\x82\xac"), true, "U+20AC euro"},
    {S("\xed\x9f\xbf"), true, "U+D7FF, just below surrogates"},
    {S("\xee\x80\x80"), true, "U+E000, just above surrogates"},
    {S("\xef\xbf\xbd"), true, "U+FFFD"},
    {S("\xef\xbf\xbf"), true, "U+FFFF, a noncharacter but well formed"},
    {S("\xf0\x90\x80\x80"), true, "U+10000, smallest 4-byte"},
    {S("\xf0\x9f\x98\x80"), true, "U+1F600 emoji"},
    {S("\xf4\x8f\xbf\xbf"), true, "U+10FFFF, largest"},
    {S("a\xe6\x97\xa5\xe6\x9c\xac" "b"), true, "mixed"},

    {S("\0"), false, "NUL alone"},
    {S("ab\0cd"), false, "NUL inside"},
    {S("\x80"), false, "lone continuation"},
    {S("\xbf"), false, "lone continuation, top"},
    {S("a\x80" "b"), false, "continuation after ascii"},
    {S("\xc0\x80"), false, "overlong NUL"},
    {S("\xc0\xaf"), false, "overlong '/'"},
    {S("\xc1\xbf"), false, "overlong U+007F"},
    {S("\xe0\x80\x80"), false, "overlong 3-byte NUL"},
    {S("\xe0\x9f\xbf"), false, "overlong U+07FF in 3 bytes"},
    {S("\xf0\x80\x80\x80"), false, "overlong 4-byte NUL"},
    {S("\xf0\x8f\xbf\xbf"), false, "overlong U+FFFF in 4 bytes"},
    {S("\xed\xa0\x80"), false, "U+D800 high surrogate"},
    {S("\xed\xbf\xbf"), false, "U+DFFF low surrogate"},
    {S("\xed\xa0\xbd\xed\xb8\x80"), false, "surrogate pair (CESU-8)"},
    {S("\xf4\x90\x80\x80"), false, "U+110000"},
    {S("\xf5\x80\x80\x80"), false, "lead 0xF5"},
    {S("\xf8\x88\x80\x80\x80"), false, "5-byte form"},
    {S("\xfc\x84\x80\x80\x80\x80"), false, "6-byte form"},
    {S("\xfe"), false, "0xFE"},
    {S("\xff"), false, "0xFF"},
    {S("\xc3"), false, "2-byte cut at 1"},
    {S("\xe2\x82"), false, "3-byte cut at 2"},
    {S("\xe2"), false, "3-byte cut at 1"},
    {S("\xf0\x9f\x98"), false, "4-byte cut at 3"},
    {S("\xc3" "a"), false, "ascii where a continuation belongs"},
    {S("\xe2\x28\xa1"), false, "bad second byte"},
    {S("\xe2\x82\x28"), false, "bad third byte"},
    {S("\xf0\x9f\x28\x80"), false, "bad third of four"},
    {S("\xf0\x9f\x98\x28"), false, "bad fourth byte"},
    {S("\xc3\xa9\xc3"), false, "good then cut"},
};

static const tcase name_cases[] = {
    {S("alice"), true, "ascii"},
    {S("Bob Smith"), true, "inner space"},
    {S(" x "), true, "spaces around a letter"},
    {S("Zo\xc3\xab"), true, "latin-1 letter"},
    {S("\xe5\xb1\xb1\xe7\x94\xb0"), true, "CJK"},
    {S("\xf0\x9f\x98\x80"), true, "emoji"},
    {S("\xc2\xa0" "a"), true, "NBSP and a letter"},
    {S("\xc2\xa1"), true, "U+00A1, first after C1"},
    {S("~"), true, "U+007E, last before DEL"},

    {S(""), false, "empty"},
    {S(" "), false, "one space"},
    {S("    "), false, "spaces only"},
    {S("\xc2\xa0"), false, "NBSP only"},
    {S(" \xe3\x80\x80 "), false, "ideographic space only"},
    {S("\xe2\x80\x83\xe2\x80\xaf"), false, "em space, narrow NBSP"},
    {S("a\tb"), false, "tab"},
    {S("a\nb"), false, "newline"},
    {S("\x1b[31m"), false, "ESC"},
    {S("\x1f"), false, "U+001F"},
    {S("a\x7f"), false, "DEL"},
    {S("\xc2\x80"), false, "U+0080, C1"},
    {S("x\xc2\x85"), false, "U+0085 NEL, C1"},
    {S("\xc2\x9b" "31m"), false, "U+009B CSI, C1"},
    {S("\xc2\x9f"), false, "U+009F, last C1"},
    {S("a\0b"), false, "NUL"},
    {S("\xc0\xa0"), false, "overlong space"},
    {S("\xed\xa0\x80"), false, "surrogate"},
    {S("ab\xe2\x82"), false, "cut sequence"},
    {S("\xff"), false, "not UTF-8"},
    {S("eve\xe2\x80\xaeplh"), false, "U+202E right-to-left override"},
    {S("\xe2\x80\xaa" "a"), false, "U+202A embedding"},
    {S("\xe2\x81\xa6x"), false, "U+2066 isolate"},
    {S("a\xe2\x81\xa9"), false, "U+2069 isolate end"},
    {S("\xe2\x80\x8b\xe2\x80\x8b"), false, "zero-width spaces only"},
    {S("\xef\xbb\xbf"), false, "BOM only"},
    {S("\xe2\x81\xa0 \xc2\xad"), false, "word joiner, soft hyphen"},
    {S("\xcc\x81\xcc\x81"), false, "combining acute only"},
    {S("\xcc\x81" "a"), false, "starts with a combining mark"},
    {S("\xef\xb8\x8f"), false, "variation selector only"},
    {S("\xf3\xa0\x80\x81"), false, "a tag character only"},
    {S("\xe2\x80\x8b" "bob"), true, "zero-width and a name"},
    {S("e\xcc\x81"), true, "e and a combining acute"},
    {S("\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d"), true, "Hebrew letters"},
};

/* lm_text_shown: what a terminal gets for what a peer sent. */
static const struct {
    const char *in, *out, *why;
} shown_cases[] = {
    {"plain", "plain", "plain text unchanged"},
    {"caf\xc3\xa9 \xf0\x9f\x98\x80", "caf\xc3\xa9 \xf0\x9f\x98\x80", "UTF-8 kept"},
    {"\x1b[2J", "\\x1b[2J", "ESC escaped"},
    {"\x1b]0;t\x07", "\\x1b]0;t\\x07", "title sequence and BEL"},
    {"a\rb", "a\\x0db", "CR escaped"},
    {"a\x7f", "a\\x7f", "DEL escaped"},
    {"\xc2\x9b" "31m", "\\u009b31m", "C1 CSI escaped"},
    {"x\xe2\x80\xaey", "x\\u202ey", "RLO escaped"},
    {"\xe2\x81\xa6i", "\\u2066i", "isolate escaped"},
    {"one\n[12:00:00] admin: hi", "one\n  | [12:00:00] admin: hi",
     "a new line cannot pose as a message"},
    {"a\tb", "a b", "tab as a space"},
    {"\xff\xc3", "\xef\xbf\xbd\xef\xbf\xbd", "not UTF-8: U+FFFD"},
    {"\xd7\xa9\xe2\x80\x8f", "\xd7\xa9\xe2\x80\x8f", "RLM mark kept for RTL text"},
    {"", "", "empty"},
};

static void test_shown_table(void)
{
    for (size_t i = 0; i < sizeof shown_cases / sizeof shown_cases[0]; i++) {
        char *got = lm_text_shown(shown_cases[i].in);
        CHECK(got != NULL);
        if (got && strcmp(got, shown_cases[i].out) != 0) {
            fprintf(stderr, "shown case %zu (%s): got \"%s\"\n", i,
                    shown_cases[i].why, got);
            CHECK(!"lm_text_shown");
        }
        free(got);
    }
    /* the worst case for growth: every byte a break */
    char many[1000];
    memset(many, '\n', sizeof many - 1);
    many[sizeof many - 1] = '\0';
    char *got = lm_text_shown(many);
    CHECK(got && strlen(got) == 5 * (sizeof many - 1));
    free(got);
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static void run_table(const tcase *t, size_t n, bool (*fn)(const char *, size_t),
                      const char *fname)
{
    for (size_t i = 0; i < n; i++) {
        bool got = fn(t[i].s, t[i].len);
        if (got != t[i].ok)
            fprintf(stderr, "%s: case %zu (%s): got %d, want %d\n", fname, i,
                    t[i].why, got, t[i].ok);
        CHECK(got == t[i].ok);
    }
}

static void test_utf8_table(void)
{
    run_table(utf8_cases, COUNT(utf8_cases), lm_utf8_valid, "lm_utf8_valid");
}

static void test_name_table(void)
{
    run_table(name_cases, COUNT(name_cases), lm_name_valid, "lm_name_valid");
}

/* A valid sequence cut at every length short of whole is invalid, and the
 * check never reads past len (ASan sees the exact-size heap copy). */
static void test_utf8_every_cut(void)
{
    static const char good[] = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80z";
    size_t n = sizeof(good) - 1;
    for (size_t k = 0; k <= n; k++) {
        char *p = malloc(k ? k : 1);
        CHECK(p != NULL);
        if (!p)
            return;
        memcpy(p, good, k);
        /* sequence ends fall at 1, 3, 6, 10, 11 */
        bool whole = k == 0 || k == 1 || k == 3 || k == 6 || k == 10 || k == 11;
        CHECK(lm_utf8_valid(p, k) == whole);
        free(p);
    }
}

/* Every code point round its edges, encoded by hand here, against the
 * rule: valid unless a surrogate. */
static size_t put_cp(unsigned cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

static void test_utf8_all_code_points(void)
{
    int bad = 0;
    for (unsigned cp = 1; cp <= 0x10ffff; cp++) {
        char b[4];
        size_t n = put_cp(cp, b);
        bool want = cp < 0xd800 || cp > 0xdfff;
        if (lm_utf8_valid(b, n) != want)
            bad++;
    }
    CHECK_EQ_INT(bad, 0);
}

/* Each of the C0 and C1 controls and DEL is refused in a name; the code
 * points next to them are not. */
static void test_name_each_control(void)
{
    for (unsigned cp = 1; cp <= 0xa0; cp++) {
        char b[3] = {'a', 0, 0};
        size_t n = 1 + put_cp(cp, b + 1);
        bool control = cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f);
        CHECK(lm_name_valid(b, n) == !control);
    }
}

int main(void)
{
    RUN(test_utf8_table);
    RUN(test_name_table);
    RUN(test_utf8_every_cut);
    RUN(test_utf8_all_code_points);
    RUN(test_name_each_control);
    RUN(test_shown_table);
    return check_report();
}
