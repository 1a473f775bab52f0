/* test_file_store.c - tests for core/files/store.c, in temporary folders
 * under /tmp, removed after: put and get, the same content stored once,
 * bad chunks and bad proofs refused, a file that is not its id, the empty
 * file, the caps and the free-disk check, hostile names on the way out,
 * the lock, more partials than open files. With --tmpfs (root, in a mount
 * namespace of its own): a real full disk; exit 77 when it cannot.
 * Restarts and the index are test_file_store_load.c's. */
#define _GNU_SOURCE /* unshare, for the --tmpfs case only */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/wait.h>

#include "store_check.h"

static void test_put_get(void)
{
    fresh("putget");
    lm_store_report rep;
    lm_store *st = open_store(0, 0, &rep);
    CHECK(!rep.rebuilt && rep.files == 0);
    src s;
    src_make(&s, 5 * K16 + 1234, K16, 1);
    lm_store_blob b;
    uint8_t rf = 0xff;
    CHECK_EQ_INT(src_begin(st, &s, &b, &rf), 0);
    CHECK_EQ_INT(rf, 0);
    CHECK(!b.complete && b.bytes == 0);
    /* nothing to read before it is held */
    uint8_t buf[K16];
    size_t len, np;
    lm_hash proof[LM_FILE_DEPTH_MAX];
    CHECK_EQ_INT(lm_store_read(st, s.id, 0, buf, sizeof buf, &len, proof, &np),
                 LM_EINVAL);
    for (uint32_t i = 0; i < s.n; i++) {
        CHECK_EQ_INT(src_put(st, &s, i, &b, &rf), 0);
        if (i == 1) /* the hub can serve what it holds, mid-upload */
            CHECK_EQ_INT(
                lm_store_read(st, s.id, 1, buf, sizeof buf, &len, proof, &np),
                0);
    }
    CHECK(b.complete && b.bytes == s.size);
    CHECK_EQ_INT(read_back(st, &s), 0);
    char name[80];
    hexname(s.id, "", name);
    CHECK(exists(name));
    hexname(s.id, ".part", name);
    CHECK(!exists(name));
    /* a chunk held already is fine and writes nothing */
    CHECK_EQ_INT(src_put(st, &s, 2, &b, &rf), 0);
    uint64_t used;
    size_t files;
    lm_store_usage(st, &used, &files);
    CHECK_EQ_INT(files, 1);
    CHECK(used == s.size + lm_ftree_nodes(s.n) * 32);
    lm_store_close(st);
    src_free(&s);
}

static void test_dedup_and_offers(void)
{
    fresh("dedup");
    lm_store *st = open_store(0, 0, NULL);
    src s;
    src_make(&s, 3 * K16, K16, 2);
    lm_store_blob b;
    CHECK_EQ_INT(src_begin(st, &s, &b, NULL), 0);
    for (uint32_t i = 0; i < s.n; i++)
        CHECK_EQ_INT(src_put(st, &s, i, &b, NULL), 0);
    /* the same content again, under 32 KiB chunks: held already */
    src s32;
    src_make(&s32, 3 * K16, 2 * K16, 2);
    CHECK(memcmp(s32.id, s.id, 32) == 0);
    CHECK_EQ_INT(src_begin(st, &s32, &b, NULL), 0);
    CHECK(b.complete);
    CHECK_EQ_INT(b.chunk, K16); /* the store's own chunks and root */
    size_t files;
    lm_store_usage(st, NULL, &files);
    CHECK_EQ_INT(files, 1);
    /* two offers of one file, and one of them twice */
    lm_file_offer o1 = offer_of(&s, 11, "a.txt"),
                  o2 = offer_of(&s, 12, "b.txt");
    o2.nto = 1;
    o2.to[0] = 99;
    CHECK_EQ_INT(lm_store_add_offer(st, &o1), 0);
    CHECK_EQ_INT(lm_store_add_offer(st, &o2), 0);
    CHECK_EQ_INT(lm_store_add_offer(st, &o1), 0);
    lm_file_offer got;
    CHECK(lm_store_offer_at(st, 0, &got) && strcmp(got.name, "a.txt") == 0);
    CHECK(lm_store_offer_at(st, 1, &got) && got.nto == 1 && got.to[0] == 99);
    CHECK(!lm_store_offer_at(st, 2, &got));
    /* offers of what is not held, or that the codec would refuse */
    src other;
    src_make(&other, 100, K16, 3);
    lm_file_offer o3 = offer_of(&other, 1, "c");
    CHECK_EQ_INT(lm_store_add_offer(st, &o3), LM_ENOTFOUND);
    o1.name[0] = '\0';
    CHECK_EQ_INT(lm_store_add_offer(st, &o1), LM_EINVAL);
    /* removing the file takes its offers */
    CHECK_EQ_INT(lm_store_remove(st, s.id), 0);
    CHECK(!lm_store_offer_at(st, 0, &got));
    CHECK_EQ_INT(lm_store_remove(st, s.id), LM_ENOTFOUND);
    lm_store_close(st);
    src_free(&s);
    src_free(&s32);
    src_free(&other);
}

static void test_bad_chunks(void)
{
    fresh("bad");
    lm_store *st = open_store(0, 0, NULL);
    src s;
    src_make(&s, 100 * K16, K16, 4);
    lm_store_blob b;
    uint8_t rf;
    CHECK_EQ_INT(src_begin(st, &s, &b, &rf), 0);
    lm_hash proof[LM_FILE_DEPTH_MAX];
    size_t np = lm_ftree_proof(s.tree, s.n, 0, proof);
    uint8_t chunk[K16];
    memcpy(chunk, s.data, K16);
    chunk[100] ^= 1; /* a bit flipped on the way */
    CHECK_EQ_INT(lm_store_put(st, s.id, 0, chunk, K16, proof, np, &b, &rf),
                 LM_EAUTH);
    CHECK_EQ_INT(rf, LM_FILE_BAD_HASH);
    proof[2][0] ^= 1; /* a proof that leads elsewhere */
    CHECK_EQ_INT(lm_store_put(st, s.id, 0, s.data, K16, proof, np, &b, &rf),
                 LM_EAUTH);
    CHECK_EQ_INT(lm_store_put(st, s.id, 0, s.data, K16, proof, np - 1, &b, &rf),
                 LM_EAUTH);
    CHECK_EQ_INT(lm_store_info(st, s.id, &b), 0);
    CHECK(b.held.next == 0 && b.held.bits == 0); /* nothing was held */
    /* wrong length, past the end, past the slots, unknown file */
    CHECK_EQ_INT(lm_store_put(st, s.id, 0, s.data, K16 - 1, proof, np, &b, &rf),
                 LM_EINVAL);
    CHECK_EQ_INT(lm_store_put(st, s.id, 100, s.data, K16, proof, np, &b, &rf),
                 LM_EINVAL);
    CHECK_EQ_INT(src_put(st, &s, 64, &b, &rf), LM_EINVAL);
    CHECK_EQ_INT(src_put(st, &s, 63, &b, &rf), 0); /* the last slot */
    src other;
    src_make(&other, 10, K16, 5);
    CHECK_EQ_INT(src_put(st, &other, 0, &b, &rf), LM_ENOTFOUND);
    CHECK_EQ_INT(rf, LM_FILE_UNKNOWN);
    /* the same id announced with another tree is refused */
    src liar = s;
    liar.root[0] ^= 1;
    CHECK_EQ_INT(src_begin(st, &liar, &b, &rf), LM_EAUTH);
    CHECK_EQ_INT(rf, LM_FILE_BAD_HASH);
    lm_store_close(st);
    src_free(&s);
    src_free(&other);
}

/* Content whose tree is honest but whose id is another file's. */
static void test_not_its_id(void)
{
    fresh("notid");
    lm_store *st = open_store(0, 0, NULL);
    src s, t;
    src_make(&s, 2 * K16 + 5, K16, 6);
    src_make(&t, 2 * K16 + 5, K16, 7);
    memcpy(s.id, t.id, 32);
    lm_store_blob b;
    uint8_t rf;
    CHECK_EQ_INT(src_begin(st, &s, &b, &rf), 0);
    CHECK_EQ_INT(src_put(st, &s, 0, &b, &rf), 0);
    CHECK_EQ_INT(src_put(st, &s, 1, &b, &rf), 0);
    CHECK_EQ_INT(src_put(st, &s, 2, &b, &rf), LM_EPROTO);
    CHECK_EQ_INT(rf, LM_FILE_BAD_HASH);
    CHECK_EQ_INT(lm_store_info(st, s.id, &b), LM_ENOTFOUND);
    char name[80];
    hexname(s.id, ".part", name);
    CHECK(!exists(name));
    hexname(s.id, "", name);
    CHECK(!exists(name));
    lm_store_close(st);
    src_free(&s);
    src_free(&t);
}

static void test_empty_file(void)
{
    fresh("empty");
    lm_store *st = open_store(0, 0, NULL);
    src s;
    src_make(&s, 0, K16, 0);
    lm_store_blob b;
    uint8_t rf;
    CHECK_EQ_INT(src_begin(st, &s, &b, &rf), 0);
    CHECK(b.complete && b.size == 0);
    uint8_t buf[16];
    size_t len, np;
    lm_hash proof[LM_FILE_DEPTH_MAX];
    CHECK_EQ_INT(lm_store_read(st, s.id, 0, buf, sizeof buf, &len, proof, &np),
                 LM_EINVAL);
    src bad = s;
    bad.root[0] ^= 1;
    bad.id[0] ^= 1;
    CHECK_EQ_INT(src_begin(st, &bad, &b, &rf), LM_EAUTH);
    lm_store_close(st);
    /* and it is still there after a restart */
    lm_store_report rep;
    st = open_store(0, 0, &rep);
    CHECK_EQ_INT(lm_store_info(st, s.id, &b), 0);
    CHECK(b.complete);
    CHECK_EQ_INT(rep.dropped, 0);
    lm_store_close(st);
    src_free(&s);
}

static void test_caps(void)
{
    fresh("caps");
    lm_store_report rep;
    lm_store *st = open_store(250 * 1024, 100 * 1024, &rep);
    src a, big, c;
    src_make(&a, 90 * 1024, K16, 16);
    src_make(&big, 101 * 1024, K16, 17);
    src_make(&c, 100 * 1024, K16, 18);
    lm_store_blob b;
    uint8_t rf;
    CHECK_EQ_INT(src_begin(st, &big, &b, &rf), LM_ETOOBIG);
    CHECK_EQ_INT(rf, LM_FILE_TOO_BIG);
    CHECK_EQ_INT(src_begin(st, &a, &b, &rf), 0);
    CHECK_EQ_INT(src_begin(st, &c, &b, &rf), 0);
    src d;
    src_make(&d, 100 * 1024, K16, 19); /* 290 KiB + trees > 250 KiB */
    CHECK_EQ_INT(src_begin(st, &d, &b, &rf), LM_EFULL);
    CHECK_EQ_INT(rf, LM_FILE_STORE_FULL);
    /* a declared size past the protocol, or a chunk size it does not use */
    CHECK_EQ_INT(
        lm_store_begin(st, d.id, LM_FILE_SIZE_MAX + 1, K16, d.root, &b, &rf),
        LM_EINVAL);
    CHECK_EQ_INT(rf, LM_FILE_TOO_BIG);
    CHECK_EQ_INT(lm_store_begin(st, d.id, 100, 1000, d.root, &b, &rf),
                 LM_EINVAL);
    /* nothing was made for the refused ones */
    char name[80];
    hexname(d.id, ".part", name);
    CHECK(!exists(name));
    hexname(big.id, ".part", name);
    CHECK(!exists(name));
    /* room again once a partial is cancelled */
    CHECK_EQ_INT(lm_store_remove(st, c.id), 0);
    CHECK_EQ_INT(src_begin(st, &d, &b, &rf), 0);
    lm_store_close(st);

    /* the free-disk check, with a reserve no disk has */
    fresh("disk");
    lm_store_config cfg = {dir, 0, 0, 1ull << 60};
    CHECK_EQ_INT(lm_store_open(&cfg, &st, NULL), 0);
    CHECK_EQ_INT(src_begin(st, &a, &b, &rf), LM_EFULL);
    CHECK_EQ_INT(rf, LM_FILE_DISK_FULL);
    /* a hostile huge size within the protocol: refused, nothing allocated */
    CHECK_EQ_INT(
        lm_store_begin(st, a.id, LM_FILE_SIZE_MAX, K16, a.root, &b, &rf),
        LM_ETOOBIG);
    CHECK_EQ_INT(rf, LM_FILE_TOO_BIG);
    lm_store_close(st);
    src_free(&a);
    src_free(&big);
    src_free(&c);
    src_free(&d);
}

/* Only the store's own names are in its folder; nothing lands outside. */
static void test_export(void)
{
    fresh("export");
    char out_dir[300];
    snprintf(out_dir, sizeof out_dir, "%s/downloads", top);
    remove_tree(out_dir);
    CHECK(mkdir(out_dir, 0700) == 0);
    int dfd = open(out_dir, O_RDONLY | O_DIRECTORY);
    lm_store *st = open_store(0, 0, NULL);
    src s;
    src_make(&s, 2 * K16 + 9, K16, 20);
    lm_store_blob b;
    static const struct {
        const char *name;
        bool keep;
        const char *got;
    } rows[] = {
        {"../../evil.sh", true, "_.._evil.sh"},
        {"/etc/passwd", true, "_etc_passwd"},
        {"report.pdf", true, "report.pdf"},
        {"report.pdf", true, "report (1).pdf"},
        {"..", true, "file"},
        {"\x1b]0;owned\x07.txt", true, "_]0;owned_.txt"},
        {"report.pdf", false, "report (2).pdf"}, /* moved: last */
    };
    CHECK_EQ_INT(src_begin(st, &s, &b, NULL), 0);
    char got[LM_SAFENAME_MAX + 16];
    CHECK_EQ_INT(lm_store_export(st, s.id, dfd, "x", true, got, sizeof got),
                 LM_ENOTFOUND); /* not complete yet */
    for (uint32_t i = 0; i < s.n; i++)
        CHECK_EQ_INT(src_put(st, &s, i, &b, NULL), 0);
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        CHECK_EQ_INT(lm_store_export(st, s.id, dfd, rows[i].name, rows[i].keep,
                                     got, sizeof got),
                     0);
        CHECK_EQ_STR(got, rows[i].got);
        char p[700];
        snprintf(p, sizeof p, "%s/%s", out_dir, got);
        FILE *f = fopen(p, "rb");
        static uint8_t back[3 * K16];
        size_t n = f ? fread(back, 1, sizeof back, f) : 0;
        if (f)
            fclose(f);
        CHECK(n == s.size && memcmp(back, s.data, n) == 0);
    }
    CHECK_EQ_INT(lm_store_info(st, s.id, &b), LM_ENOTFOUND); /* moved out */
    CHECK(only_store_names(dir));
    /* nothing but folders in the test's own folder: no file landed there */
    DIR *d = opendir(top);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        char p[700];
        struct stat sb;
        snprintf(p, sizeof p, "%s/%s", top, e->d_name);
        CHECK(lstat(p, &sb) == 0 && S_ISDIR(sb.st_mode));
    }
    if (d)
        closedir(d);
    lm_store_close(st);
    close(dfd);
    src_free(&s);
}

static void test_lock_and_open_files(void)
{
    fresh("lock");
    lm_store *st = open_store(0, 0, NULL);
    lm_store_config cfg = {dir, 0, 0, 1};
    lm_store *again = NULL;
    CHECK_EQ_INT(lm_store_open(&cfg, &again, NULL), LM_EFULL);
    CHECK(again == NULL);
    /* more partials than open files: each keeps working */
    enum { FILES = LM_STORE_OPEN_MAX + 5 };
    src s[FILES];
    lm_store_blob b;
    for (int f = 0; f < FILES; f++) {
        src_make(&s[f], 3 * K16 + (uint64_t)f, K16, 100 + (uint32_t)f);
        CHECK_EQ_INT(src_begin(st, &s[f], &b, NULL), 0);
    }
    for (uint32_t i = 0; i < 4; i++) /* interleaved: open, closed, open */
        for (int f = 0; f < FILES; f++)
            if (i < s[f].n)
                CHECK_EQ_INT(src_put(st, &s[f], i, &b, NULL), 0);
    for (int f = 0; f < FILES; f++) {
        CHECK_EQ_INT(read_back(st, &s[f]), 0);
        src_free(&s[f]);
    }
    CHECK(only_store_names(dir));
    lm_store_close(st);
    /* closed: it opens again */
    st = open_store(0, 0, NULL);
    lm_store_close(st);
    lm_store_close(NULL);
    lm_store_config none = {NULL, 0, 0, 0};
    CHECK_EQ_INT(lm_store_open(&none, &st, NULL), LM_EINVAL);
}

/* ---- a real full disk ---------------------------------------------------- */

static int tmpfs_case(void)
{
    if (geteuid() != 0) {
        printf("skipped: not root, no tmpfs to fill\n");
        return 77;
    }
    if (!mkdtemp(top))
        return 1;
    pid_t kid = fork();
    if (kid == 0) {
        if (unshare(CLONE_NEWNS) < 0 ||
            mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
            mount("lmstore", top, "tmpfs", 0, "size=1m") < 0) {
            printf("skipped: no mount namespace or tmpfs (%s)\n",
                   strerror(errno));
            fflush(stdout);
            _exit(77);
        }
        snprintf(dir, sizeof dir, "%s/store", top);
        lm_store_config cfg = {dir, 0, 0, 1};
        lm_store *st = NULL;
        int orc = lm_store_open(&cfg, &st, NULL);
        if (orc != 0) {
            printf("cannot open a store on the tmpfs: %s (%s)\n",
                   lm_strerror(orc), strerror(errno));
            fflush(stdout);
            _exit(1);
        }
        src big, s;
        src_make(&big, 2u << 20, K16, 30); /* 2 MiB: past the disk */
        src_make(&s, 600 * 1024, K16, 31); /* fits, until it is filled */
        lm_store_blob b;
        uint8_t rf = 0;
        CHECK_EQ_INT(src_begin(st, &big, &b, &rf), LM_EFULL);
        CHECK_EQ_INT(rf, LM_FILE_DISK_FULL);
        CHECK_EQ_INT(src_begin(st, &s, &b, &rf), 0);
        /* someone else fills the disk */
        char p[400];
        snprintf(p, sizeof p, "%s/filler", top);
        int fd = open(p, O_WRONLY | O_CREAT, 0600);
        static uint8_t zero[4096];
        for (int i = 0; i < 1024 && write(fd, zero, sizeof zero) > 0; i++)
            ;
        close(fd);
        int rc = 0;
        for (uint32_t i = 0; i < s.n && rc == 0; i++)
            rc = src_put(st, &s, i, &b, &rf);
        CHECK_EQ_INT(rc, LM_EIO);
        CHECK_EQ_INT(rf, LM_FILE_DISK_FULL);
        /* another file is refused by the check now */
        src t;
        src_make(&t, 64 * 1024, K16, 32);
        CHECK_EQ_INT(src_begin(st, &t, &b, &rf), LM_EFULL);
        CHECK_EQ_INT(rf, LM_FILE_DISK_FULL);
        lm_store_close(st);
        src_free(&big);
        src_free(&s);
        src_free(&t);
        umount(top);
        fflush(stdout);
        _exit(check_failures ? 1 : 0);
    }
    int status = 1;
    waitpid(kid, &status, 0);
    rmdir(top);
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
    if (code == 0)
        printf("tmpfs: a full disk is refused as disk_full\n");
    return code;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--tmpfs") == 0)
        return tmpfs_case();
    if (!mkdtemp(top)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_put_get);
    RUN(test_dedup_and_offers);
    RUN(test_bad_chunks);
    RUN(test_not_its_id);
    RUN(test_empty_file);
    RUN(test_caps);
    RUN(test_export);
    RUN(test_lock_and_open_files);
    remove_tree(top);
    return check_report();
}
