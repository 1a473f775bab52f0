/* make_txt_corpus.c - writes the seed corpus for fuzz_txt: TXT record
 * RDATA (one length byte, then that many bytes, for each string), a few
 * valid records and a few that break one rule each, as DIR/NN_name.bin.
 *
 * Usage: make_txt_corpus DIR   (DIR is created if missing, not its parents)
 * The seeds are committed in tests/fuzz/corpus/txt; rerun this after a
 * change to the TXT rules and commit the new files.
 *
 * Build: cc -std=c11 -Icore -Idiscovery core/err.c discovery/txt.c \
 *        tests/fuzz/make_txt_corpus.c -o make_txt_corpus
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "err.h"
#include "txt.h"

#define MAX_STRINGS 8

typedef struct seed {
    const char *file;
    const char *s[MAX_STRINGS]; /* NULL ends the list */
    size_t len[MAX_STRINGS];    /* 0: strlen(s), for strings with a NUL */
} seed;

/* "é" repeated to 70 bytes: longer than the 63 bytes of a name */
#define E10 "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
#define LONG_NAME "name=" E10 E10 E10 E10 E10 E10 E10

static const seed seeds[] = {
    {"02_minimal", {"id=1"}, {0}},
    {"03_case_unknown_flag",
     {"ID=AbC", "Name=x", "flag", "x=y", "=", "", "future=1"},
     {0}},
    {"04_long_utf8_name",
     {"ver=1", "id=b1", LONG_NAME, "room=", "term=18446744073709551615"},
     {0}},
    {"05_edge_numbers",
     {"id=ffffffffffffffff", "ver=4294967295", "term=00000000000000000000"},
     {0}},
    {"10_two_ids", {"id=1", "id=2"}, {0}},
    {"11_id_17_digits", {"id=00000000000000001"}, {0}},
    {"12_id_not_hex", {"id=xyz", "name=evil"}, {0}},
    {"13_id_zero", {"id=0"}, {0}},
    {"14_term_overflow", {"id=1", "term=18446744073709551616"}, {0}},
    {"15_nul_in_name", {"id=1", "name=a\0b"}, {0, 8}},
    {"16_bad_utf8_name", {"id=1", "name=\xff\xfe\xc0\x80 \xed\xa0\x80"}, {0}},
    {"17_no_id", {"name=nobody", "role=hub"}, {0}},
};

static int write_rdata(const char *dir, const char *file, const char *const *s,
                       const size_t *len, size_t n, int cut_last)
{
    char path[512];
    FILE *f;

    snprintf(path, sizeof path, "%s/%s.bin", dir, file);
    if (!(f = fopen(path, "wb"))) {
        perror(path);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        size_t l = len[i] ? len[i] : strlen(s[i]);
        if (l > 255) {
            fprintf(stderr, "%s: string %zu over 255 bytes\n", file, i);
            fclose(f);
            return -1;
        }
        /* the last string may claim more bytes than the record holds */
        fputc(cut_last && i == n - 1 ? 255 : (int)l, f);
        fwrite(s[i], 1, l, f);
    }
    if (fclose(f) != 0) {
        perror(path);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    lm_disc_self self = {0x0123456789abcdefu, "Ana", "lab",
                         LM_DEFAULT_PORT,     "hub", 7};
    const char *s[LM_TXT_ITEMS];
    lm_txt_record r;
    int bad = 0;

    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    if (mkdir(argv[1], 0755) != 0 && errno != EEXIST) {
        perror(argv[1]);
        return 1;
    }

    /* a record exactly as a node publishes it, and the same cut short */
    if (lm_txt_build(&self, &r) != 0)
        return 1;
    for (size_t i = 0; i < r.n; i++)
        s[i] = r.str[i];
    bad |= write_rdata(argv[1], "01_published", s, r.len, r.n, 0);
    bad |= write_rdata(argv[1], "18_last_string_cut", s, r.len, r.n, 1);

    for (size_t k = 0; k < sizeof seeds / sizeof seeds[0]; k++) {
        size_t n = 0;
        while (n < MAX_STRINGS && seeds[k].s[n])
            n++;
        bad |=
            write_rdata(argv[1], seeds[k].file, seeds[k].s, seeds[k].len, n, 0);
    }
    return bad ? 1 : 0;
}
