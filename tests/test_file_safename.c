/* test_file_safename.c - tests for core/files/safename.c.
 *
 * A table of the nasty names a sender may choose (../, slashes, control
 * characters, bidi overrides, bad and overlong UTF-8, NUL, very long
 * names) and what they become; random bytes, every output checked for
 * the rules; then lm_safename_create in a temporary directory: " (N)"
 * before the extension, a symlink never followed, all names taken, and
 * two processes racing for one name without either replacing a file. */
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "err.h"
#include "files/safename.h"
#include "safename_check.h"

#define FFFD "\xef\xbf\xbd"

static char *repeat(const char *s, size_t times, const char *tail)
{
    size_t n = strlen(s), t = strlen(tail);
    char *out = malloc(n * times + t + 1);
    for (size_t i = 0; i < times; i++)
        memcpy(out + i * n, s, n);
    memcpy(out + n * times, tail, t + 1);
    return out;
}

static void test_table(void)
{
    static const struct {
        const char *in;
        size_t len; /* 0: strlen */
        const char *out;
    } rows[] = {
        {"report.pdf", 0, "report.pdf"},
        {"../../etc/passwd", 0, "_.._etc_passwd"},
        {"/etc/passwd", 0, "_etc_passwd"},
        {"a/b\\c", 0, "a_b_c"},
        {"..", 0, "file"},
        {".", 0, "file"},
        {"", 0, "file"},
        {".bashrc", 0, "bashrc"},
        {"-rf", 0, "rf"},
        {"--help.txt", 0, "help.txt"},
        {" .. x", 0, "x"},
        {"name\n.txt", 0, "name_.txt"},
        {"a\x1b[31mred", 0, "a_[31mred"},
        {"tab\tx", 0, "tab_x"},
        {"del\x7f", 0, "del_"},
        {"x\xc2\x9by", 0, "x_y"},                      /* C1 CSI */
        {"evil\xe2\x80\xaetxt.exe", 0, "eviltxt.exe"}, /* RLO */
        {"a\xe2\x80\x8e"
         "b\xe2\x81\xa6"
         "c",
         0, "abc"},                            /* LRM, LRI */
        {"caf\xe9.txt", 0, "caf" FFFD ".txt"}, /* Latin-1 */
        {"\xc0\xaf"
         "etc",
         0, FFFD FFFD "etc"},                         /* overlong '/' */
        {"\xed\xa0\x80", 0, FFFD FFFD FFFD},          /* a surrogate */
        {"\xf4\x90\x80\x80", 0, FFFD FFFD FFFD FFFD}, /* past U+10FFFF */
        {"a\0b", 3, "a_b"},
        {"name. . ", 0, "name"},
        {"\xc3\xa9t\xc3\xa9.txt", 0, "\xc3\xa9t\xc3\xa9.txt"},
        {"\xe2\x80\xae", 0, "file"},
        {"   ", 0, "file"},
        {"\xe2\x80\x8b", 0, "file"}, /* only a zero-width space */
        {"\xcc\x81"
         "abc",
         0, "file"},       /* starts with a combining mark */
        {"CON", 0, "CON"}, /* nothing special here */
        {"a b (1).tar.gz", 0, "a b (1).tar.gz"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char out[LM_SAFENAME_MAX + 1];
        size_t len = rows[i].len ? rows[i].len : strlen(rows[i].in);
        lm_safename(rows[i].in, len, out);
        if (strcmp(out, rows[i].out) != 0)
            printf("  row %zu: got \"%s\"\n", i, out);
        CHECK_EQ_STR(out, rows[i].out);
        CHECK(safename_problem(out) == NULL);
    }
    char out[LM_SAFENAME_MAX + 1];
    lm_safename(NULL, 10, out);
    CHECK_EQ_STR(out, "file");
}

static void test_long_names(void)
{
    static const struct {
        const char *unit;
        size_t times;
        const char *tail;
        size_t want_len;
        const char *want_end;
    } rows[] = {
        {"a", 300, ".pdf", 200, "aaa.pdf"},             /* extension kept */
        {"\xc3\xa9", 150, ".txt", 200, "\xc3\xa9.txt"}, /* cut between é */
        {"\xc3\xa9", 300, "", 200, "\xc3\xa9"},
        {"a\xc3\xa9", 100, "", 199,
         "\xc3\xa9"
         "a"}, /* 3-byte units */
        {"a", 250, ".bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", 200, "aaa"}, /* not an
                                                          extension: 30 */
        {"x", 5000, "", 200, "xxx"}, /* past the input cap */
        {"\xe2\x82\xac", 80, "  .doc", 199, "\xe2\x82\xac.doc"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        char *in = repeat(rows[i].unit, rows[i].times, rows[i].tail);
        char out[LM_SAFENAME_MAX + 1];
        lm_safename(in, strlen(in), out);
        size_t n = strlen(out), e = strlen(rows[i].want_end);
        if (n != rows[i].want_len)
            printf("  long row %zu: %zu bytes\n", i, n);
        CHECK_EQ_INT(n, rows[i].want_len);
        CHECK(n >= e && strcmp(out + n - e, rows[i].want_end) == 0);
        CHECK(safename_problem(out) == NULL);
        free(in);
    }
}

static void test_random_bytes(void)
{
    uint32_t x = 99;
    int bad = 0;
    for (int k = 0; k < 3000; k++) {
        char in[400];
        x = x * 1103515245u + 12345u;
        size_t len = (x >> 8) % sizeof in;
        for (size_t i = 0; i < len; i++) {
            x = x * 1103515245u + 12345u;
            /* mostly the interesting bytes: '.', '/', controls, UTF-8 leads */
            static const char pick[] = "./\\- a\x01\x1b\x7f\xc2\x9b\xe2\x80\xae"
                                       "\xc3\xa9\xff\xf0\x9f\x98\x80";
            in[i] = (x >> 20) % 3 ? pick[(x >> 8) % (sizeof pick - 1)]
                                  : (char)(x >> 12);
        }
        char out[LM_SAFENAME_MAX + 1];
        lm_safename(in, len, out);
        const char *p = safename_problem(out);
        if (p && bad++ < 5)
            printf("  random %d: %s in \"%s\"\n", k, p, out);
    }
    CHECK_EQ_INT(bad, 0);
}

/* ---- creating the file --------------------------------------------------- */

static char dir[] = "/tmp/lm_safename_XXXXXX";

static int create(int dfd, const char *name, char *got)
{
    int fd = lm_safename_create(dfd, name, 0644, got, LM_SAFENAME_MAX + 16);
    if (fd >= 0)
        close(fd);
    return fd;
}

static void remove_all(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return;
    struct dirent *e;
    char p[512];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof p, "%s/%s", path, e->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(path);
}

static void test_create(void)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    CHECK(dfd >= 0);
    char got[LM_SAFENAME_MAX + 16];
    static const struct {
        const char *name, *got;
    } rows[] = {
        {"report.pdf", "report.pdf"},
        {"report.pdf", "report (1).pdf"},
        {"report.pdf", "report (2).pdf"},
        {"archive.tar.gz", "archive.tar.gz"},
        {"archive.tar.gz", "archive (1).tar.gz"},
        {"noext", "noext"},
        {"noext", "noext (1)"},
        {"a.b.c", "a.b.c"},
        {"a.b.c", "a.b (1).c"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        CHECK(create(dfd, rows[i].name, got) >= 0);
        CHECK_EQ_STR(got, rows[i].got);
    }
    /* a symlink in the way is never followed, even a dangling one */
    char target[600], link[600];
    snprintf(target, sizeof target, "%s/../lm_safename_target_%d", dir,
             (int)getpid());
    snprintf(link, sizeof link, "%s/link.txt", dir);
    CHECK(symlink(target, link) == 0);
    CHECK(create(dfd, "link.txt", got) >= 0);
    CHECK_EQ_STR(got, "link (1).txt");
    struct stat sb;
    CHECK(stat(target, &sb) < 0); /* nothing made outside */
    /* names that did not come from lm_safename */
    CHECK_EQ_INT(create(dfd, "../x", got), LM_EINVAL);
    CHECK_EQ_INT(create(dfd, ".hidden", got), LM_EINVAL);
    CHECK_EQ_INT(create(dfd, "a/b", got), LM_EINVAL);
    CHECK_EQ_INT(create(dfd, "", got), LM_EINVAL);
    CHECK_EQ_INT(lm_safename_create(dfd, "ok", 0644, got, 10), LM_EINVAL);
    CHECK_EQ_INT(create(-1, "ok", got), LM_EIO);
    /* every name taken */
    int made = 0, rc = 0;
    for (int i = 0; i <= LM_SAFENAME_TRIES && rc >= 0; i++)
        if ((rc = create(dfd, "x", got)) >= 0)
            made++;
    CHECK_EQ_INT(made, LM_SAFENAME_TRIES);
    CHECK_EQ_INT(rc, LM_EFULL);
    close(dfd);
}

/* Two processes make 50 files each under one name: 100 distinct files,
 * each written by exactly one of them. */
static void test_race(void)
{
    char sub[600];
    snprintf(sub, sizeof sub, "%s/race", dir);
    CHECK(mkdir(sub, 0700) == 0);
    pid_t kids[2];
    for (int k = 0; k < 2; k++) {
        kids[k] = fork();
        if (kids[k] == 0) {
            int dfd = open(sub, O_RDONLY | O_DIRECTORY);
            char got[LM_SAFENAME_MAX + 16];
            for (int i = 0; i < 50; i++) {
                int fd =
                    lm_safename_create(dfd, "same.bin", 0644, got, sizeof got);
                if (fd < 0 || write(fd, &k, sizeof k) != sizeof k)
                    _exit(1);
                close(fd);
            }
            _exit(0);
        }
    }
    for (int k = 0; k < 2; k++) {
        int st = -1;
        waitpid(kids[k], &st, 0);
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    }
    DIR *d = opendir(sub);
    int files = 0, each[2] = {0, 0};
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char p[900];
        snprintf(p, sizeof p, "%s/%s", sub, e->d_name);
        FILE *f = fopen(p, "rb");
        int who = -1;
        CHECK(f && fread(&who, sizeof who, 1, f) == 1 && fgetc(f) == EOF);
        if (f)
            fclose(f);
        if (who == 0 || who == 1)
            each[who]++;
        files++;
    }
    if (d)
        closedir(d);
    CHECK_EQ_INT(files, 100);
    CHECK_EQ_INT(each[0], 50);
    CHECK_EQ_INT(each[1], 50);
    remove_all(sub);
}

int main(void)
{
    RUN(test_table);
    RUN(test_long_names);
    RUN(test_random_bytes);
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_create);
    RUN(test_race);
    remove_all(dir);
    return check_report();
}
