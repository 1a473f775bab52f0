/* test_crypto.c - identities, room keys, hellos and sealed links.
 *
 * Identity tests work in a fresh directory under /tmp (mkdtemp) and plant
 * hostile files by hand: loose modes, wrong sizes, wrong headers, a key
 * whose halves disagree, symlinks, a FIFO. Derivations that are easy to
 * restate (node id, fingerprint) are recomputed here directly from
 * libsodium, so a test does not just compare the module with itself.
 * The replay window is checked by cases at its edges and by a long
 * pseudo-random run against a model that remembers every counter. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "check.h"
#include "crypto.h"
#include "err.h"

/* ---- helpers ---------------------------------------------------------- */

static char tmp_root[64];

static void make_tmp_root(void)
{
    strcpy(tmp_root, "/tmp/lm_test_crypto.XXXXXX");
    if (!mkdtemp(tmp_root)) {
        perror("mkdtemp");
        exit(1);
    }
}

/* rm -rf for what the tests made: no symlinks are followed (lstat). */
static void remove_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        while (d && (e = readdir(d)) != NULL) {
            char sub[1024];
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            remove_tree(sub);
        }
        if (d)
            closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

/* A new directory name under the root (not created). */
static void sub_dir(char *out, size_t cap, const char *name)
{
    snprintf(out, cap, "%s/%s", tmp_root, name);
}

static void write_file(const char *path, const void *data, size_t n,
                       mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    CHECK(write(fd, data, n) == (ssize_t)n);
    close(fd);
    chmod(path, mode); /* past the umask */
}

static size_t read_file(const char *path, uint8_t *buf, size_t cap)
{
    int fd = open(path, O_RDONLY);
    ssize_t n = fd >= 0 ? read(fd, buf, cap) : -1;
    if (fd >= 0)
        close(fd);
    return n < 0 ? 0 : (size_t)n;
}

static mode_t mode_of(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? st.st_mode & 07777 : (mode_t)-1;
}

/* A directory holding a valid identity file; its bytes in file[72]. */
static void valid_identity_dir(const char *name, char *dir, size_t cap,
                               uint8_t file[72])
{
    lm_identity id;
    char path[512];
    sub_dir(dir, cap, name);
    CHECK_EQ_INT(lm_identity_load(dir, &id, NULL, 0), 0);
    snprintf(path, sizeof path, "%s/identity.key", dir);
    CHECK_EQ_INT(read_file(path, file, 72), 72);
}

/* Loads dir and expects refusal with rc; why must contain needle. */
static void expect_refused(const char *dir, int rc, const char *needle)
{
    lm_identity id;
    char why[512] = "";
    memset(&id, 0xAA, sizeof id);
    CHECK_EQ_INT(lm_identity_load(dir, &id, why, sizeof why), rc);
    if (!strstr(why, needle))
        fprintf(stderr, "  why = \"%s\", wanted \"%s\"\n", why, needle);
    CHECK(strstr(why, needle) != NULL);
    CHECK(id.id == 0 && sodium_is_zero(id.sk, sizeof id.sk));
}

/* ---- identity --------------------------------------------------------- */

static void test_identity_create_then_load(void)
{
    char dir[256], path[512], parent[128], why[256] = "x";
    lm_identity a, b;
    sub_dir(parent, sizeof parent, "nested");
    snprintf(dir, sizeof dir, "%s/deeper/lanmeet", parent);
    CHECK_EQ_INT(lm_identity_load(dir, &a, why, sizeof why), 0);
    CHECK_EQ_STR(why, "");
    CHECK_EQ_INT(lm_identity_load(dir, &b, NULL, 0), 0);
    CHECK(memcmp(a.pk, b.pk, sizeof a.pk) == 0);
    CHECK(memcmp(a.sk, b.sk, sizeof a.sk) == 0);
    CHECK(a.id == b.id && a.id != 0);
    CHECK_EQ_STR(a.fingerprint, b.fingerprint);
    CHECK(a.id == lm_id_from_pk(a.pk));

    snprintf(path, sizeof path, "%s/identity.key", dir);
    CHECK_EQ_INT(mode_of(path), 0600);
    CHECK_EQ_INT(mode_of(dir), 0700);
    CHECK_EQ_INT(mode_of(parent), 0700);

    uint8_t file[100];
    CHECK_EQ_INT(read_file(path, file, sizeof file), 72);
    CHECK(memcmp(file, "LMID0001", 8) == 0);
    CHECK(memcmp(file + 8, a.sk, 64) == 0);

    /* No temp file is left behind. */
    DIR *d = opendir(dir);
    int entries = 0;
    for (struct dirent *e; d && (e = readdir(d)) != NULL;)
        entries += e->d_name[0] != '.' || strstr(e->d_name, ".tmp") != NULL;
    if (d)
        closedir(d);
    CHECK_EQ_INT(entries, 1);
}

static void test_identity_default_dir(void)
{
    char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    char *old_xdg = xdg ? strdup(xdg) : NULL;
    char *old_home = home ? strdup(home) : NULL;
    char base[256], path[512], why[256];
    lm_identity id;

    sub_dir(base, sizeof base, "xdg");
    setenv("XDG_CONFIG_HOME", base, 1);
    setenv("HOME", "/nonexistent-home-for-test", 1);
    CHECK_EQ_INT(lm_identity_load(NULL, &id, NULL, 0), 0);
    snprintf(path, sizeof path, "%s/lanmeet/identity.key", base);
    CHECK_EQ_INT(mode_of(path), 0600);

    /* A relative XDG_CONFIG_HOME is invalid per the XDG spec: use HOME. */
    sub_dir(base, sizeof base, "home");
    setenv("XDG_CONFIG_HOME", "relative/dir", 1);
    setenv("HOME", base, 1);
    CHECK_EQ_INT(lm_identity_load(NULL, &id, NULL, 0), 0);
    snprintf(path, sizeof path, "%s/.config/lanmeet/identity.key", base);
    CHECK_EQ_INT(mode_of(path), 0600);

    unsetenv("XDG_CONFIG_HOME");
    unsetenv("HOME");
    CHECK_EQ_INT(lm_identity_load(NULL, &id, why, sizeof why), LM_EINVAL);
    CHECK(strstr(why, "HOME") != NULL);
    CHECK_EQ_INT(lm_identity_load("", &id, NULL, 0), LM_EINVAL);

    if (old_xdg)
        setenv("XDG_CONFIG_HOME", old_xdg, 1);
    if (old_home)
        setenv("HOME", old_home, 1);
    free(old_xdg);
    free(old_home);
}

static void test_identity_loose_mode(void)
{
    static const mode_t modes[] = {0644, 0640, 0604, 0660, 0602, 0610};
    char dir[256], path[512], want[1200];
    uint8_t file[72];
    valid_identity_dir("loose", dir, sizeof dir, file);
    snprintf(path, sizeof path, "%s/identity.key", dir);

    chmod(path, 0644);
    snprintf(want, sizeof want,
             "identity file %s is readable by others (mode 0644); fix with "
             "chmod 600 %s",
             path, path);
    expect_refused(dir, LM_EPROTO, want);
    for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++) {
        chmod(path, modes[i]);
        expect_refused(dir, LM_EPROTO, "chmod 600");
    }
    chmod(path, 0400); /* tighter than 0600 is fine */
    lm_identity id;
    CHECK_EQ_INT(lm_identity_load(dir, &id, NULL, 0), 0);
}

static void test_identity_bad_contents(void)
{
    char dir[256], path[512];
    uint8_t file[72], bad[80];
    valid_identity_dir("bad", dir, sizeof dir, file);
    snprintf(path, sizeof path, "%s/identity.key", dir);

    write_file(path, file, 71, 0600);
    expect_refused(dir, LM_EPROTO, "wrong size");
    memcpy(bad, file, 72);
    bad[72] = 0;
    write_file(path, bad, 73, 0600);
    expect_refused(dir, LM_EPROTO, "wrong size");
    write_file(path, file, 0, 0600);
    expect_refused(dir, LM_EPROTO, "wrong size");

    memcpy(bad, file, 72);
    bad[0] = 'X';
    write_file(path, bad, 72, 0600);
    expect_refused(dir, LM_EPROTO, "not a lanmeet identity");
    memcpy(bad, "LMID0002", 8);
    write_file(path, bad, 72, 0600);
    expect_refused(dir, LM_EPROTO, "another version");

    /* The stored public half must belong to the seed. */
    memcpy(bad, file, 72);
    bad[8 + 32 + 5] ^= 1;
    write_file(path, bad, 72, 0600);
    expect_refused(dir, LM_EPROTO, "damaged");
    memcpy(bad, file, 72);
    bad[8 + 3] ^= 0x80;
    write_file(path, bad, 72, 0600);
    expect_refused(dir, LM_EPROTO, "damaged");

    /* Put the good file back: it loads again, with the same key. */
    write_file(path, file, 72, 0600);
    lm_identity id;
    CHECK_EQ_INT(lm_identity_load(dir, &id, NULL, 0), 0);
    CHECK(memcmp(id.sk, file + 8, 64) == 0);

    /* Not a regular file: a directory, and a FIFO (which must not hang). */
    unlink(path);
    CHECK_EQ_INT(mkdir(path, 0700), 0);
    expect_refused(dir, LM_EPROTO, "not a regular file");
    rmdir(path);
    CHECK_EQ_INT(mkfifo(path, 0600), 0);
    expect_refused(dir, LM_EPROTO, "not a regular file");
    unlink(path);

    /* The directory cannot be made: a file is in the way. */
    char blocked[512];
    snprintf(blocked, sizeof blocked, "%s/identity.key/sub", dir);
    write_file(path, file, 72, 0600);
    expect_refused(blocked, LM_EIO, "cannot create directory");
}

static void test_identity_symlink(void)
{
    char dir[256], path[512], target[512];
    uint8_t file[72];
    valid_identity_dir("link", dir, sizeof dir, file);
    snprintf(path, sizeof path, "%s/identity.key", dir);
    snprintf(target, sizeof target, "%s/real.key", dir);
    CHECK_EQ_INT(rename(path, target), 0);
    CHECK_EQ_INT(symlink(target, path), 0);
    expect_refused(dir, LM_EPROTO, "symbolic link");

    /* A dangling link is not written through either. */
    unlink(target);
    expect_refused(dir, LM_EPROTO, "symbolic link");
    struct stat st;
    CHECK(lstat(target, &st) != 0);
}

static void test_identity_ids(void)
{
    lm_identity a, b;
    lm_identity_generate(&a);
    lm_identity_generate(&b);
    CHECK(a.id != 0 && b.id != 0);
    CHECK(a.id != b.id);
    CHECK(memcmp(a.pk, b.pk, sizeof a.pk) != 0);

    /* Restate the derivation: LE64 of BLAKE2b-128("lanmeet-id-v1" || pk). */
    uint8_t msg[13 + 32], h[16];
    memcpy(msg, "lanmeet-id-v1", 13);
    memcpy(msg + 13, a.pk, 32);
    crypto_generichash(h, sizeof h, msg, sizeof msg, NULL, 0);
    uint64_t want = 0;
    for (int i = 7; i >= 0; i--)
        want = want << 8 | h[i];
    CHECK(a.id == want);

    for (int i = 0; i < 200; i++) { /* never 0, over many keys */
        lm_identity_generate(&a);
        CHECK(a.id != 0 && a.id == lm_id_from_pk(a.pk));
    }
}

static void test_fingerprint(void)
{
    lm_identity a, b;
    char fp[LM_FINGERPRINT_LEN];
    lm_identity_generate(&a);
    lm_identity_generate(&b);
    lm_fingerprint(a.pk, fp);
    CHECK_EQ_STR(fp, a.fingerprint);
    CHECK_EQ_INT(strlen(fp), 24);
    for (int i = 0; i < 24; i++) {
        if (i % 5 == 4)
            CHECK(fp[i] == '-');
        else
            CHECK((fp[i] >= '0' && fp[i] <= '9') ||
                  (fp[i] >= 'a' && fp[i] <= 'f'));
    }
    CHECK(strcmp(a.fingerprint, b.fingerprint) != 0);

    uint8_t msg[13 + 32], h[16];
    char want[32];
    memcpy(msg, "lanmeet-fp-v1", 13);
    memcpy(msg + 13, a.pk, 32);
    crypto_generichash(h, sizeof h, msg, sizeof msg, NULL, 0);
    snprintf(want, sizeof want, "%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x",
             h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9]);
    CHECK_EQ_STR(fp, want);
}

/* ---- room keys -------------------------------------------------------- */

static void test_room_keys(void)
{
    uint8_t k1[32], k2[32], k3[32], k4[32], o1[32], o2[32], o3[32];
    CHECK_EQ_INT(lm_room_key_password("team", "hunter2", k1), 0);
    CHECK_EQ_INT(lm_room_key_password("team", "hunter2", k2), 0);
    CHECK(memcmp(k1, k2, 32) == 0);
    CHECK_EQ_INT(lm_room_key_password("team", "hunter3", k3), 0);
    CHECK(memcmp(k1, k3, 32) != 0);
    CHECK_EQ_INT(lm_room_key_password("team2", "hunter2", k4), 0);
    CHECK(memcmp(k1, k4, 32) != 0);

    lm_room_key_open("team", o1);
    lm_room_key_open("team", o2);
    lm_room_key_open("team2", o3);
    CHECK(memcmp(o1, o2, 32) == 0);
    CHECK(memcmp(o1, o3, 32) != 0);
    CHECK(memcmp(o1, k1, 32) != 0);
    CHECK(!sodium_is_zero(o1, 32) && !sodium_is_zero(k1, 32));

    uint8_t msg[64], want[32];
    memcpy(msg, "lanmeet-open-room-v1\0team", 25);
    crypto_generichash(want, 32, msg, 25, NULL, 0);
    CHECK(memcmp(o1, want, 32) == 0);
}

/* ---- hello ------------------------------------------------------------ */

static void test_hello(void)
{
    lm_identity me, other;
    lm_ephemeral e, e2;
    uint8_t sig[LM_SIG_BYTES], bad[LM_SIG_BYTES];
    lm_identity_generate(&me);
    lm_identity_generate(&other);
    lm_ephemeral_new(&e);
    lm_ephemeral_new(&e2);
    lm_hello_sign(&me, e.pk, sig);
    CHECK(lm_hello_verify(me.pk, e.pk, sig));
    CHECK(!lm_hello_verify(other.pk, e.pk, sig));
    CHECK(!lm_hello_verify(me.pk, e2.pk, sig));
    for (int bit = 0; bit < LM_SIG_BYTES * 8; bit += 7) {
        memcpy(bad, sig, sizeof bad);
        bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        CHECK(!lm_hello_verify(me.pk, e.pk, bad));
    }
    uint8_t pk[32];
    memcpy(pk, e.pk, 32);
    pk[31] ^= 0x40;
    CHECK(!lm_hello_verify(me.pk, pk, sig));
}

/* ---- sessions --------------------------------------------------------- */

static uint8_t room_a[32], room_b[32];

/* Two ends of one link: a and b, keys derived from the given rooms. */
static void make_pair(lm_session *a, lm_session *b, const uint8_t *ra,
                      const uint8_t *rb)
{
    lm_ephemeral ea, eb;
    lm_ephemeral_new(&ea);
    lm_ephemeral_new(&eb);
    CHECK_EQ_INT(lm_session_derive(a, &ea, eb.pk, ra), 0);
    CHECK_EQ_INT(lm_session_derive(b, &eb, ea.pk, rb), 0);
}

/* Seals a packet with the given counter (tests only: reuses counters). */
static int seal_at(lm_session *s, uint64_t counter, uint8_t ch, uint8_t *out,
                   size_t cap)
{
    uint8_t pt[16];
    memset(pt, 0, sizeof pt);
    memcpy(pt, &counter, sizeof counter);
    s->tx_next = counter;
    return lm_session_seal(s, ch, pt, sizeof pt, out, cap);
}

static int open_len(lm_session *s, uint8_t ch, const uint8_t *in, int len)
{
    uint8_t pt[256];
    return lm_session_open(s, ch, in, (size_t)len, pt, sizeof pt);
}

static void test_session_roundtrip(void)
{
    lm_session a, b;
    uint8_t pkt[128], pt[128];
    make_pair(&a, &b, room_a, room_a);
    CHECK(memcmp(a.tx, b.rx, 32) == 0 && memcmp(a.rx, b.tx, 32) == 0);
    CHECK(memcmp(a.tx, a.rx, 32) != 0);
    CHECK(a.tx_next == 1 && a.rx_top == 0);

    int n =
        lm_session_seal(&a, 3, (const uint8_t *)"hello", 5, pkt, sizeof pkt);
    CHECK_EQ_INT(n, 5 + LM_SEAL_OVERHEAD);
    CHECK(pkt[0] == 1 && sodium_is_zero(pkt + 1, 7)); /* counter 1, LE */
    CHECK_EQ_INT(lm_session_open(&b, 3, pkt, (size_t)n, pt, sizeof pt), 5);
    CHECK(memcmp(pt, "hello", 5) == 0);

    n = lm_session_seal(&b, 0, (const uint8_t *)"back", 4, pkt, sizeof pkt);
    CHECK_EQ_INT(lm_session_open(&a, 0, pkt, (size_t)n, pt, sizeof pt), 4);
    CHECK(memcmp(pt, "back", 4) == 0);

    /* Empty payloads, NULL buffers included. */
    n = lm_session_seal(&a, 1, NULL, 0, pkt, sizeof pkt);
    CHECK_EQ_INT(n, LM_SEAL_OVERHEAD);
    CHECK_EQ_INT(lm_session_open(&b, 1, pkt, (size_t)n, NULL, 0), 0);

    /* A's own packets do not open at A (keys are per direction). */
    n = lm_session_seal(&a, 1, (const uint8_t *)"x", 1, pkt, sizeof pkt);
    CHECK_EQ_INT(lm_session_open(&a, 1, pkt, (size_t)n, pt, sizeof pt),
                 LM_EAUTH);
    lm_session_wipe(&a);
    CHECK(sodium_is_zero((const uint8_t *)&a, sizeof a));
    CHECK_EQ_INT(lm_session_seal(&a, 1, NULL, 0, pkt, sizeof pkt), LM_EINVAL);
}

static void test_session_wrong_room(void)
{
    lm_session a, b;
    uint8_t pkt[64];
    make_pair(&a, &b, room_a, room_b);
    int n = seal_at(&a, 1, 0, pkt, sizeof pkt);
    CHECK_EQ_INT(open_len(&b, 0, pkt, n), LM_EAUTH);
    CHECK(b.forgeries == 1 && b.rx_top == 0);
}

static void test_session_tamper(void)
{
    lm_session a, b;
    uint8_t pkt[64], bad[64];
    make_pair(&a, &b, room_a, room_a);
    int n = seal_at(&a, 7, 2, pkt, sizeof pkt);
    for (int i = 0; i < n; i++) {
        for (int bit = 0; bit < 8; bit += 3) {
            memcpy(bad, pkt, (size_t)n);
            bad[i] ^= (uint8_t)(1u << bit);
            CHECK_EQ_INT(open_len(&b, 2, bad, n), LM_EAUTH);
        }
    }
    CHECK_EQ_INT(open_len(&b, 2, pkt, n - 1), LM_EAUTH); /* truncated */
    CHECK_EQ_INT(open_len(&b, 3, pkt, n), LM_EAUTH);     /* wrong channel */
    CHECK_EQ_INT(open_len(&b, 255, pkt, n), LM_EAUTH);
    CHECK(b.rx_top == 0 && b.replays == 0);
    CHECK(b.forgeries == (unsigned long)(n * 3 + 3));
    CHECK_EQ_INT(open_len(&b, 2, pkt, n), 16); /* untouched: still good */
}

static void test_session_replay_and_order(void)
{
    lm_session a, b;
    uint8_t pkt[10][64];
    int n[10];
    make_pair(&a, &b, room_a, room_a);
    for (int i = 0; i < 10; i++)
        n[i] = lm_session_seal(&a, 1, (const uint8_t *)"abcd", 4, pkt[i], 64);

    CHECK_EQ_INT(open_len(&b, 1, pkt[0], n[0]), 4);
    CHECK_EQ_INT(open_len(&b, 1, pkt[0], n[0]), LM_EREPLAY);
    CHECK(b.replays == 1);

    static const int order[] = {5, 2, 9, 1, 8, 3, 7, 4, 6};
    for (int i = 0; i < 9; i++)
        CHECK_EQ_INT(open_len(&b, 1, pkt[order[i]], n[order[i]]), 4);
    for (int i = 0; i < 10; i++)
        CHECK_EQ_INT(open_len(&b, 1, pkt[i], n[i]), LM_EREPLAY);
    CHECK(b.replays == 11 && b.rx_top == 10);
}

static void test_session_window_edges(void)
{
    lm_session a, b;
    uint8_t p[64], q[64], r[64];
    int np, nq, nr;
    make_pair(&a, &b, room_a, room_a);
    np = seal_at(&a, 2, 0, p, sizeof p);
    nq = seal_at(&a, 3, 0, q, sizeof q);
    nr = seal_at(&a, 2 + LM_REPLAY_WINDOW, 0, r, sizeof r);
    CHECK_EQ_INT(open_len(&b, 0, r, nr), 16);
    CHECK_EQ_INT(open_len(&b, 0, p, np), LM_EREPLAY); /* exactly too old */
    CHECK_EQ_INT(open_len(&b, 0, q, nq), 16);         /* last slot */
    CHECK_EQ_INT(open_len(&b, 0, q, nq), LM_EREPLAY);

    /* Far ahead: everything before falls out of the window. */
    int n5 = seal_at(&a, 2 + LM_REPLAY_WINDOW + 5000, 0, p, sizeof p);
    CHECK_EQ_INT(open_len(&b, 0, p, n5), 16);
    nq = seal_at(&a, 4, 0, q, sizeof q);
    CHECK_EQ_INT(open_len(&b, 0, q, nq), LM_EREPLAY);
    nq = seal_at(&a, 2 + LM_REPLAY_WINDOW + 10, 0, q, sizeof q);
    CHECK_EQ_INT(open_len(&b, 0, q, nq), LM_EREPLAY);
    nq = seal_at(&a, 2 + 5000 + 1, 0, q, sizeof q); /* just inside */
    CHECK_EQ_INT(open_len(&b, 0, q, nq), 16);

    /* Shifts by 64 and 63 keep the bits that should survive. */
    uint64_t top = b.rx_top;
    nq = seal_at(&a, top + 64, 0, q, sizeof q);
    CHECK_EQ_INT(open_len(&b, 0, q, nq), 16);
    CHECK_EQ_INT(open_len(&b, 0, p, n5), LM_EREPLAY);
    nq = seal_at(&a, top + 127, 0, q, sizeof q);
    CHECK_EQ_INT(open_len(&b, 0, q, nq), 16);
    CHECK_EQ_INT(open_len(&b, 0, p, n5), LM_EREPLAY);
    nq = seal_at(&a, top + 100, 0, q, sizeof q);
    CHECK_EQ_INT(open_len(&b, 0, q, nq), 16);
}

static void test_session_forged_huge_counter(void)
{
    lm_session a, b;
    uint8_t pkt[64], forged[64];
    make_pair(&a, &b, room_a, room_a);
    int n = lm_session_seal(&a, 0, (const uint8_t *)"one", 3, pkt, 64);
    CHECK_EQ_INT(open_len(&b, 0, pkt, n), 3);

    randombytes_buf(forged, sizeof forged);
    memset(forged, 0xff, 7);
    forged[7] = 0x7f; /* a counter near the top */
    CHECK_EQ_INT(open_len(&b, 0, forged, 40), LM_EAUTH);
    memset(forged, 0, 8); /* counter 0 */
    CHECK_EQ_INT(open_len(&b, 0, forged, 40), LM_EAUTH);
    CHECK(b.rx_top == 1 && b.forgeries == 2);

    n = lm_session_seal(&a, 0, (const uint8_t *)"two", 3, pkt, 64);
    CHECK_EQ_INT(open_len(&b, 0, pkt, n), 3);
}

static void test_session_limits(void)
{
    lm_session a, b;
    uint8_t pkt[64], pt[64];
    memset(pt, 0x5a, sizeof pt);
    memset(pkt, 0, sizeof pkt);
    make_pair(&a, &b, room_a, room_a);
    for (size_t len = 0; len < LM_SEAL_OVERHEAD; len++)
        CHECK_EQ_INT(lm_session_open(&b, 0, pkt, len, pt, sizeof pt),
                     LM_EPROTO);
    CHECK_EQ_INT(lm_session_seal(&a, 0, pt, 41, pkt, sizeof pkt), LM_ETOOBIG);
    int n = lm_session_seal(&a, 0, pt, 40, pkt, sizeof pkt);
    CHECK_EQ_INT(n, 64);
    CHECK_EQ_INT(lm_session_open(&b, 0, pkt, 64, pt, 39), LM_ETOOBIG);
    CHECK_EQ_INT(lm_session_open(&b, 0, pkt, 64, pt, 40), 40);

    /* The last counter is UINT64_MAX - 1; then sealing stops. */
    a.tx_next = UINT64_MAX - 1;
    n = lm_session_seal(&a, 0, pt, 4, pkt, sizeof pkt);
    CHECK_EQ_INT(n, 4 + LM_SEAL_OVERHEAD);
    CHECK_EQ_INT(lm_session_seal(&a, 0, pt, 4, pkt + 32, 32), LM_ETOOBIG);
    CHECK(a.tx_next == UINT64_MAX);
    CHECK_EQ_INT(lm_session_open(&b, 0, pkt, (size_t)n, pt, sizeof pt), 4);
    CHECK(b.rx_top == UINT64_MAX - 1);
    CHECK_EQ_INT(lm_session_open(&b, 0, pkt, (size_t)n, pt, sizeof pt),
                 LM_EREPLAY);
}

static void test_session_bad_peer_keys(void)
{
    lm_session s;
    lm_ephemeral e;
    uint8_t zero[32] = {0};
    lm_ephemeral_new(&e);
    CHECK_EQ_INT(lm_session_derive(&s, &e, e.pk, room_a), LM_EINVAL);
    CHECK(s.tx_next == 0);
    /* An all-zero key is a low-order point: no shared secret. */
    CHECK_EQ_INT(lm_session_derive(&s, &e, zero, room_a), LM_EAUTH);
    CHECK(sodium_is_zero((const uint8_t *)&s, sizeof s));
}

/* A long pseudo-random delivery against a model that remembers every
 * counter: jumps of all sizes around the word and window edges, late
 * packets (mostly recent, sometimes ancient), duplicates and forgeries. */
#define MODEL_N 1000
static uint64_t xorshift(uint64_t *r)
{
    *r ^= *r << 13, *r ^= *r >> 7, *r ^= *r << 17;
    return *r;
}

static void test_session_window_model(void)
{
    static const uint64_t jumps[] = {1,   1,   1,    1,    2,    2,
                                     3,   5,   63,   64,   65,   127,
                                     128, 129, 1023, 1024, 1025, 4000};
    static uint64_t ctr[MODEL_N];
    static bool seen[MODEL_N];
    lm_session a, b;
    uint8_t pkt[64];
    uint64_t top = 0, rng = 0x9e3779b97f4a7c15u;
    size_t front = 0;
    int accepted = 0;
    make_pair(&a, &b, room_a, room_a);
    ctr[0] = 1;
    for (size_t i = 1; i < MODEL_N; i++)
        ctr[i] = ctr[i - 1] + jumps[xorshift(&rng) % (sizeof jumps / 8)];
    memset(seen, 0, sizeof seen);
    for (int step = 0; step < 6000; step++) {
        uint64_t r = xorshift(&rng);
        size_t i;
        if ((r % 3 == 0 || front == 0) && front < MODEL_N)
            i = front++;
        else if (r % 7 != 0) /* recent: inside or near the window */
            i = front - 1 - (size_t)((r >> 8) % (front < 24 ? front : 24));
        else
            i = (size_t)((r >> 8) % front);
        int n = seal_at(&a, ctr[i], 0, pkt, sizeof pkt);
        bool fresh =
            !seen[i] && (ctr[i] > top || top - ctr[i] < LM_REPLAY_WINDOW);
        if ((r >> 40) % 8 == 0) { /* a forgery of the same counter */
            pkt[n - 1] ^= 1;
            CHECK_EQ_INT(open_len(&b, 0, pkt, n),
                         fresh ? LM_EAUTH : LM_EREPLAY);
            CHECK(b.rx_top == top);
            continue;
        }
        CHECK_EQ_INT(open_len(&b, 0, pkt, n), fresh ? 16 : LM_EREPLAY);
        if (fresh) {
            seen[i] = true;
            accepted++;
            top = ctr[i] > top ? ctr[i] : top;
        }
        CHECK(b.rx_top == top);
    }
    /* The run really mixed the three outcomes. */
    CHECK(accepted > 500 && b.replays > 500 && b.forgeries > 100);
}

/* The first run on a machine: the directory does not exist yet. The lock
 * creates it; a second holder (another process, or here another open file
 * description) is told the identity is in use. */
static void test_identity_lock_first_run(void)
{
    char dir[256], why[256];
    int fd = -1, fd2 = -1;
    snprintf(dir, sizeof dir, "%s/fresh/lanmeet", tmp_root);
    CHECK_EQ_INT(lm_identity_lock(dir, &fd, why, sizeof why), 0);
    CHECK(fd >= 0);
    CHECK_EQ_INT(lm_identity_lock(dir, &fd2, why, sizeof why), LM_EFULL);
    CHECK(fd2 == -1);
    CHECK(strstr(why, "another lanmeet") != NULL);
    lm_identity id;
    CHECK_EQ_INT(lm_identity_load(dir, &id, why, sizeof why), 0);
    if (fd >= 0)
        close(fd);
    CHECK_EQ_INT(lm_identity_lock(dir, &fd2, why, sizeof why), 0);
    if (fd2 >= 0)
        close(fd2);
}

int main(void)
{
    if (lm_crypto_init() != 0) {
        fprintf(stderr, "sodium_init failed\n");
        return 1;
    }
    CHECK_EQ_INT(lm_crypto_init(), 0); /* twice is fine */
    lm_room_key_open("alpha", room_a);
    lm_room_key_open("beta", room_b);
    make_tmp_root();
    umask(022); /* the usual one: the module must not depend on it */

    RUN(test_identity_create_then_load);
    RUN(test_identity_lock_first_run);
    RUN(test_identity_default_dir);
    RUN(test_identity_loose_mode);
    RUN(test_identity_bad_contents);
    RUN(test_identity_symlink);
    RUN(test_identity_ids);
    RUN(test_fingerprint);
    RUN(test_room_keys);
    RUN(test_hello);
    RUN(test_session_roundtrip);
    RUN(test_session_wrong_room);
    RUN(test_session_tamper);
    RUN(test_session_replay_and_order);
    RUN(test_session_window_edges);
    RUN(test_session_forged_huge_counter);
    RUN(test_session_limits);
    RUN(test_session_bad_peer_keys);
    RUN(test_session_window_model);

    remove_tree(tmp_root);
    return check_report();
}
