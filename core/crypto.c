/* crypto.c - identities, room keys and sealed links on top of libsodium.
 *
 * Everything here is a thin, opinionated layer over libsodium primitives:
 *   identity    Ed25519 (crypto_sign), kept in DIR/identity.key as the
 *               8-byte magic "LMID0001" followed by the 64-byte secret key
 *               (seed || public key); mode 0600, directory 0700.
 *   node id     BLAKE2b("lanmeet-id-v1" || pk), first 8 bytes little-endian.
 *   room key    open room: BLAKE2b-256("lanmeet-open-room-v1" 0 room);
 *               private room: Argon2id(pass, salt = BLAKE2b-128(
 *               "lanmeet-room-salt-v1" 0 room)), interactive limits.
 *   link        crypto_kx on ephemeral X25519 keys, each direction's key
 *               then run through BLAKE2b keyed with the room key, so that
 *               a peer without the room key ends up with useless keys.
 *   packet      counter (8 bytes LE) || XChaCha20-Poly1305(pt), with the
 *               counter as nonce and channel || counter as associated data.
 * Every hash input starts with its own "lanmeet-...-v1" label, so a value
 * computed for one purpose can never be mistaken for another.
 * Secrets that pass through the stack are wiped with sodium_memzero.
 */
#define _DEFAULT_SOURCE /* flock */
#define _POSIX_C_SOURCE 200809L
#include "crypto.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "err.h"

/* A label and its length; a "\0" written inside the literal is counted,
 * which is how the 0x00 separators before room names are made. */
#define LABEL(s) (const uint8_t *)(s), (sizeof(s) - 1)

#define ID_MAGIC "LMID0001"
#define ID_MAGIC_LEN 8
#define ID_FILE_BYTES (ID_MAGIC_LEN + crypto_sign_SECRETKEYBYTES)
#define PATH_CAP 4096
#define WINDOW_WORDS (LM_REPLAY_WINDOW / 64)

/* The header's sizes are libsodium's; say so where a change would show. */
_Static_assert(LM_KEY_BYTES == crypto_sign_PUBLICKEYBYTES &&
                   LM_KEY_BYTES == crypto_kx_SESSIONKEYBYTES &&
                   LM_KEY_BYTES ==
                       crypto_aead_xchacha20poly1305_ietf_KEYBYTES &&
                   LM_SIG_BYTES == crypto_sign_BYTES &&
                   LM_SEAL_OVERHEAD ==
                       8 + crypto_aead_xchacha20poly1305_ietf_ABYTES,
               "sizes in crypto.h match libsodium");
_Static_assert(sizeof(((lm_session *)0)->rx_window) * 8 == LM_REPLAY_WINDOW &&
                   LM_REPLAY_WINDOW % 64 == 0,
               "rx_window holds exactly LM_REPLAY_WINDOW bits");

int lm_crypto_init(void)
{
    /* 1 means "already initialised", which is just as good. */
    return sodium_init() < 0 ? LM_EIO : 0;
}

/* ---- hashing helpers -------------------------------------------------- */

/* out = BLAKE2b(key?, label || data), outlen in libsodium's 16..64. */
static void hash_labelled(uint8_t *out, size_t outlen, const uint8_t *key,
                          const uint8_t *label, size_t label_len,
                          const uint8_t *data, size_t len)
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, key, key ? LM_KEY_BYTES : 0, outlen);
    crypto_generichash_update(&st, label, label_len);
    crypto_generichash_update(&st, data, len);
    crypto_generichash_final(&st, out, outlen);
    sodium_memzero(&st, sizeof st); /* holds the key when keyed */
}

static void put_le64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

uint64_t lm_id_from_pk(const uint8_t pk[LM_KEY_BYTES])
{
    uint8_t h[crypto_generichash_BYTES_MIN]; /* 16: libsodium's minimum */
    hash_labelled(h, sizeof h, NULL, LABEL("lanmeet-id-v1"), pk, LM_KEY_BYTES);
    uint64_t id = get_le64(h);
    return id ? id : 1; /* 0 means "no node" elsewhere */
}

void lm_fingerprint(const uint8_t pk[LM_KEY_BYTES],
                    char out[LM_FINGERPRINT_LEN])
{
    static const char hex[] = "0123456789abcdef";
    uint8_t h[crypto_generichash_BYTES_MIN]; /* first 10 bytes are shown */
    hash_labelled(h, sizeof h, NULL, LABEL("lanmeet-fp-v1"), pk, LM_KEY_BYTES);
    char *o = out;
    for (int i = 0; i < 10; i++) {
        *o++ = hex[h[i] >> 4];
        *o++ = hex[h[i] & 15];
        if (i % 2 == 1 && i != 9)
            *o++ = '-'; /* groups of 4 digits are easier to read aloud */
    }
    *o = '\0';
}

/* ---- identity --------------------------------------------------------- */

static void identity_fill(lm_identity *out)
{
    out->id = lm_id_from_pk(out->pk);
    lm_fingerprint(out->pk, out->fingerprint);
}

void lm_identity_generate(lm_identity *out)
{
    memset(out, 0, sizeof *out);
    crypto_sign_keypair(out->pk, out->sk);
    identity_fill(out);
}

__attribute__((format(printf, 3, 4))) static void say(char *why, size_t cap,
                                                      const char *fmt, ...)
{
    if (!why || cap == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, cap, fmt, ap);
    va_end(ap);
}

/* The directory that holds identity.key, into buf. XDG says a relative
 * XDG_CONFIG_HOME is invalid and must be ignored, so we fall back to HOME. */
static int config_dir(const char *dir, char *buf, char *why, size_t cap)
{
    const char *base = dir, *sub = "";
    if (!dir) {
        base = getenv("XDG_CONFIG_HOME");
        sub = "/lanmeet";
        if (!base || base[0] != '/') {
            base = getenv("HOME");
            sub = "/.config/lanmeet";
        }
        if (!base || !base[0]) {
            say(why, cap,
                "cannot find a configuration directory: set "
                "HOME (or XDG_CONFIG_HOME to an absolute path)");
            return LM_EINVAL;
        }
    }
    /* Leave room for the longest name made inside it (the temp file). */
    if (!base[0] || strlen(base) + strlen(sub) + 64 >= PATH_CAP) {
        say(why, cap, "configuration directory \"%s%s\" is empty or too long",
            base, sub);
        return LM_EINVAL;
    }
    snprintf(buf, PATH_CAP, "%s%s", base, sub);
    return 0;
}

/* mkdir -p with mode 0700 for every directory it creates. An existing
 * directory is fine even when mkdir says EACCES rather than EEXIST. */
static int make_dirs(char *path, char *why, size_t cap)
{
    for (char *p = path + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        int e = mkdir(path, 0700) == 0 ? 0 : errno;
        struct stat st;
        if (e && !(stat(path, &st) == 0 && S_ISDIR(st.st_mode))) {
            say(why, cap, "cannot create directory %s: %s", path,
                strerror(e == EEXIST ? ENOTDIR : e));
            *p = c;
            return LM_EIO;
        }
        *p = c;
        if (c == '\0')
            return 0;
    }
}

/* read(2) until n bytes, end of file or an error; the count, or -1. */
static ssize_t read_full(int fd, uint8_t *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r == 0)
            break;
        if (r < 0 && errno != EINTR)
            return -1;
        got += r > 0 ? (size_t)r : 0;
    }
    return (ssize_t)got;
}

/* Takes the secret key from a file into out if its two halves agree.
 * crypto_sign_ed25519_sk_to_pk only copies the stored public half, so
 * the pair is rebuilt from the seed half to compare. */
static bool take_key(const uint8_t *sk, lm_identity *out)
{
    uint8_t seed[crypto_sign_SEEDBYTES], sk2[crypto_sign_SECRETKEYBYTES];
    uint8_t pk2[crypto_sign_PUBLICKEYBYTES];
    memcpy(out->sk, sk, sizeof out->sk);
    crypto_sign_ed25519_sk_to_pk(out->pk, out->sk);
    crypto_sign_ed25519_sk_to_seed(seed, out->sk);
    crypto_sign_seed_keypair(pk2, sk2, seed);
    bool ok = sodium_memcmp(pk2, out->pk, sizeof pk2) == 0;
    sodium_memzero(seed, sizeof seed);
    sodium_memzero(sk2, sizeof sk2);
    if (ok)
        identity_fill(out);
    return ok;
}

/* Reads and checks DIR/identity.key: 0 with out filled, LM_ENOTFOUND
 * when there is none yet, or an error with a sentence in why. */
static int read_identity(const char *path, lm_identity *out, char *why,
                         size_t cap)
{
    /* O_NOFOLLOW: a symlink planted at our path could point us at another
     * key; O_NONBLOCK: a FIFO there must not hang us before fstat. */
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT)
        return LM_ENOTFOUND;
    if (fd < 0 && errno == ELOOP) {
        say(why, cap, "identity file %s is a symbolic link; refusing it", path);
        return LM_EPROTO;
    }
    struct stat st;
    uint8_t buf[ID_FILE_BYTES + 1]; /* one more: notice a file that grew */
    ssize_t n;
    int rc = LM_EPROTO;
    if (fd < 0 || fstat(fd, &st) != 0) {
        say(why, cap, "cannot open identity file %s: %s", path,
            strerror(errno));
        rc = LM_EIO;
    } else if (!S_ISREG(st.st_mode)) {
        say(why, cap, "identity file %s is not a regular file", path);
    } else if (st.st_mode & 077) {
        /* A key others can read is no longer secret: refuse it, and name
         * the one command that fixes it. */
        say(why, cap,
            "identity file %s is %s by others (mode %04o); fix with "
            "chmod 600 %s",
            path, (st.st_mode & 044) ? "readable" : "accessible",
            (unsigned)(st.st_mode & 07777), path);
    } else if ((n = read_full(fd, buf, sizeof buf)) < 0) {
        say(why, cap, "cannot read identity file %s: %s", path,
            strerror(errno));
        rc = LM_EIO;
    } else if (n != ID_FILE_BYTES) {
        say(why, cap,
            "identity file %s has the wrong size (%lld bytes, expected %d)",
            path, (long long)st.st_size, (int)ID_FILE_BYTES);
    } else if (memcmp(buf, ID_MAGIC, ID_MAGIC_LEN) != 0) {
        say(why, cap, "identity file %s is %s", path,
            memcmp(buf, ID_MAGIC, 4) == 0
                ? "from another version of lanmeet"
                : "not a lanmeet identity (bad header)");
    } else if (!take_key(buf + ID_MAGIC_LEN, out)) {
        say(why, cap,
            "identity file %s is damaged (its public key does not "
            "match its secret key)",
            path);
    } else {
        rc = 0;
    }
    if (fd >= 0)
        close(fd);
    sodium_memzero(buf, sizeof buf);
    return rc;
}

/* Writes a fresh key to a temp file and moves it into place, so a crash
 * never leaves a half-written identity. link(2) rather than rename(2):
 * it refuses to replace an existing file, so when two first runs race the
 * loser keeps the winner's key (0 here, the caller then loads it). */
static int create_identity(const char *dir, const char *path, char *why,
                           size_t cap)
{
    char tmp[PATH_CAP];
    uint8_t rnd[8], buf[ID_FILE_BYTES], pk[crypto_sign_PUBLICKEYBYTES];
    randombytes_buf(rnd, sizeof rnd);
    if (snprintf(tmp, sizeof tmp, "%s/.identity.key.%016llx.tmp", dir,
                 (unsigned long long)get_le64(rnd)) >= (int)sizeof tmp)
        return LM_EINVAL; /* cannot happen: config_dir left room */
    int fd =
        open(tmp, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        say(why, cap, "cannot create %s: %s", tmp, strerror(errno));
        return LM_EIO;
    }
    memcpy(buf, ID_MAGIC, ID_MAGIC_LEN);
    crypto_sign_keypair(pk, buf + ID_MAGIC_LEN);
    /* One write: a regular file takes 72 bytes whole unless the disk is
     * full, and a short write is then an error like any other. */
    ssize_t w = write(fd, buf, sizeof buf);
    int e = w < 0 ? errno : w != (ssize_t)sizeof buf ? ENOSPC : 0;
    if (e == 0 && fsync(fd) != 0)
        e = errno;
    if (close(fd) != 0 && e == 0)
        e = errno;
    sodium_memzero(buf, sizeof buf);
    if (e == 0 && link(tmp, path) != 0 && errno != EEXIST &&
        rename(tmp, path) != 0) /* rename: filesystems without hard links */
        e = errno;
    if (e != 0) {
        say(why, cap, "cannot write identity file %s: %s", path, strerror(e));
        unlink(tmp);
        return LM_EIO;
    }
    unlink(tmp); /* after a successful rename it is already gone */
    /* Make the new name itself durable; some filesystems refuse fsync on
     * a directory, and the file is complete either way, so no error. */
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    return 0;
}

int lm_identity_load(const char *dir, lm_identity *out, char *why, size_t cap)
{
    char d[PATH_CAP], path[PATH_CAP];
    memset(out, 0, sizeof *out);
    say(why, cap, "%s", "");
    int rc = config_dir(dir, d, why, cap);
    if (rc == 0)
        rc = make_dirs(d, why, cap);
    if (rc != 0)
        return rc;
    if (snprintf(path, sizeof path, "%s/identity.key", d) >= PATH_CAP)
        return LM_EINVAL; /* cannot happen: config_dir left room */
    /* Load; if missing, create then load what is really on disk (ours, or
     * a racing process's), which also checks what we wrote. */
    rc = read_identity(path, out, why, cap);
    if (rc == LM_ENOTFOUND) {
        rc = create_identity(d, path, why, cap);
        if (rc == 0)
            rc = read_identity(path, out, why, cap);
    }
    if (rc == LM_ENOTFOUND) {
        say(why, cap, "identity file %s vanished after it was created", path);
        rc = LM_EIO;
    }
    if (rc != 0)
        sodium_memzero(out, sizeof *out);
    return rc;
}

int lm_identity_lock(const char *dir, int *fd, char *why, size_t cap)
{
    char d[PATH_CAP], path[PATH_CAP];
    *fd = -1;
    int rc = config_dir(dir, d, why, cap);
    if (rc == 0)
        rc = make_dirs(d, why, cap); /* the first run: nothing there yet */
    if (rc != 0)
        return rc;
    if (snprintf(path, sizeof path, "%s/identity.lock", d) >= (int)sizeof path)
        return LM_EINVAL; /* cannot happen: config_dir left room */
    int f = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (f < 0) {
        say(why, cap, "cannot open %s: %s", path, strerror(errno));
        return LM_EIO;
    }
    if (flock(f, LOCK_EX | LOCK_NB) != 0) {
        close(f);
        say(why, cap, "another lanmeet on this machine uses the identity in %s",
            d);
        return LM_EFULL;
    }
    *fd = f;
    return 0;
}

/* ---- room keys -------------------------------------------------------- */

void lm_room_key_open(const char *room, uint8_t key[LM_KEY_BYTES])
{
    hash_labelled(key, LM_KEY_BYTES, NULL, LABEL("lanmeet-open-room-v1\0"),
                  (const uint8_t *)room, strlen(room));
}

int lm_room_key_password(const char *room, const char *pass,
                         uint8_t key[LM_KEY_BYTES])
{
    /* The salt only has to differ between rooms: Argon2 is there to make
     * guessing a password slow, and one room's guesses must not serve
     * another's. */
    uint8_t salt[crypto_pwhash_SALTBYTES];
    hash_labelled(salt, sizeof salt, NULL, LABEL("lanmeet-room-salt-v1\0"),
                  (const uint8_t *)room, strlen(room));
    if (crypto_pwhash(key, LM_KEY_BYTES, pass, strlen(pass), salt,
                      crypto_pwhash_OPSLIMIT_INTERACTIVE,
                      crypto_pwhash_MEMLIMIT_INTERACTIVE,
                      crypto_pwhash_ALG_ARGON2ID13) != 0) {
        sodium_memzero(key, LM_KEY_BYTES);
        return LM_ENOMEM; /* the only way it fails: 64 MiB not available */
    }
    return 0;
}

/* ---- hello ------------------------------------------------------------ */

void lm_ephemeral_new(lm_ephemeral *e)
{
    crypto_kx_keypair(e->pk, e->sk);
}

#define HELLO_LABEL "lanmeet-hello-v1"
#define HELLO_LABEL_LEN (sizeof HELLO_LABEL - 1)

static void hello_message(const uint8_t eph_pk[LM_KEY_BYTES], uint8_t *msg)
{
    memcpy(msg, HELLO_LABEL, HELLO_LABEL_LEN);
    memcpy(msg + HELLO_LABEL_LEN, eph_pk, LM_KEY_BYTES);
}

void lm_hello_sign(const lm_identity *me, const uint8_t eph_pk[LM_KEY_BYTES],
                   uint8_t sig[LM_SIG_BYTES])
{
    uint8_t msg[HELLO_LABEL_LEN + LM_KEY_BYTES];
    hello_message(eph_pk, msg);
    crypto_sign_detached(sig, NULL, msg, sizeof msg, me->sk);
}

bool lm_hello_verify(const uint8_t id_pk[LM_KEY_BYTES],
                     const uint8_t eph_pk[LM_KEY_BYTES],
                     const uint8_t sig[LM_SIG_BYTES])
{
    uint8_t msg[HELLO_LABEL_LEN + LM_KEY_BYTES];
    hello_message(eph_pk, msg);
    return crypto_sign_verify_detached(sig, msg, sizeof msg, id_pk) == 0;
}

/* ---- sessions --------------------------------------------------------- */

int lm_session_derive(lm_session *s, const lm_ephemeral *mine,
                      const uint8_t their_pk[LM_KEY_BYTES],
                      const uint8_t room_key[LM_KEY_BYTES])
{
    uint8_t rx[LM_KEY_BYTES], tx[LM_KEY_BYTES];
    int order = memcmp(mine->pk, their_pk, LM_KEY_BYTES), rc;
    sodium_memzero(s, sizeof *s);
    /* Equal keys would make both sides "server" with rx == tx, so each
     * would accept its own packets reflected back: a peer echoing our key
     * is hostile. */
    if (order == 0)
        return LM_EINVAL;
    if (order < 0)
        rc =
            crypto_kx_client_session_keys(rx, tx, mine->pk, mine->sk, their_pk);
    else
        rc =
            crypto_kx_server_session_keys(rx, tx, mine->pk, mine->sk, their_pk);
    if (rc == 0) {
        /* Same mixing for both directions: client tx == server rx before,
         * so also after. Without the room key the result is unrelated. */
        hash_labelled(s->rx, LM_KEY_BYTES, room_key, LABEL("lanmeet-link-v1"),
                      rx, sizeof rx);
        hash_labelled(s->tx, LM_KEY_BYTES, room_key, LABEL("lanmeet-link-v1"),
                      tx, sizeof tx);
        s->tx_next = 1; /* 0 is never sent, so it can mean "none" */
    }
    sodium_memzero(rx, sizeof rx);
    sodium_memzero(tx, sizeof tx);
    return rc == 0 ? 0 : LM_EAUTH; /* -1: their key is a low-order point */
}

/* Counter and channel make the nonce: keys are per direction and per
 * link, and a link keeps one session (one counter) per ENet channel, since
 * ENet orders each channel alone and a shared counter would make a
 * reliable packet delayed behind a burst of media look like a replay. The
 * channel in the nonce keeps two channels' equal counters apart under the
 * one key; it is also bound as associated data so a packet cannot be moved
 * to another channel. */
static void
nonce_ad(uint64_t counter, uint8_t channel,
         uint8_t nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES],
         uint8_t ad[9])
{
    memset(nonce, 0, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
    put_le64(nonce, counter);
    nonce[8] = channel;
    ad[0] = channel;
    put_le64(ad + 1, counter);
}

int lm_session_seal(lm_session *s, uint8_t channel, const uint8_t *pt,
                    size_t len, uint8_t *out, size_t cap)
{
    uint8_t nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES], ad[9];
    unsigned long long clen;
    if (len > (size_t)INT_MAX - LM_SEAL_OVERHEAD ||
        cap < len + LM_SEAL_OVERHEAD)
        return LM_ETOOBIG;
    if (s->tx_next == 0)
        return LM_EINVAL; /* never derived, or wiped */
    if (s->tx_next == UINT64_MAX)
        return LM_ETOOBIG; /* out of counters: the link must be redone */
    nonce_ad(s->tx_next, channel, nonce, ad);
    put_le64(out, s->tx_next);
    crypto_aead_xchacha20poly1305_ietf_encrypt(out + 8, &clen, pt, len, ad,
                                               sizeof ad, NULL, nonce, s->tx);
    s->tx_next++;
    return (int)(8 + clen);
}

/* Moves the window up by d: bit i becomes bit i + d, in place. */
static void window_shift(uint64_t w[WINDOW_WORDS], uint64_t d)
{
    if (d >= LM_REPLAY_WINDOW) { /* every old bit falls off the end */
        memset(w, 0, WINDOW_WORDS * sizeof *w);
        return;
    }
    size_t words = (size_t)(d / 64);
    unsigned bits = (unsigned)(d % 64);
    /* From the top down, so each source word is read before it is
     * overwritten; bits == 0 is kept apart because x >> 64 is UB. */
    for (size_t j = WINDOW_WORDS; j-- > 0;) {
        uint64_t v = 0;
        if (j >= words) {
            v = w[j - words] << bits;
            if (bits && j > words)
                v |= w[j - words - 1] >> (64 - bits);
        }
        w[j] = v;
    }
}

/* May counter c still be accepted? Newer than all, or inside the window
 * and not yet seen. */
static bool window_fresh(const lm_session *s, uint64_t c)
{
    if (c > s->rx_top)
        return true;
    uint64_t back = s->rx_top - c;
    if (back >= LM_REPLAY_WINDOW)
        return false;
    return !((s->rx_window[back / 64] >> (back % 64)) & 1);
}

static void window_mark(lm_session *s, uint64_t c)
{
    if (c > s->rx_top) {
        window_shift(s->rx_window, c - s->rx_top);
        s->rx_top = c;
    }
    uint64_t back = s->rx_top - c;
    s->rx_window[back / 64] |= (uint64_t)1 << (back % 64);
}

int lm_session_open(lm_session *s, uint8_t channel, const uint8_t *in,
                    size_t len, uint8_t *pt, size_t cap)
{
    uint8_t nonce[crypto_aead_xchacha20poly1305_ietf_NPUBBYTES], ad[9];
    uint8_t none; /* somewhere to point at when pt is NULL and empty */
    unsigned long long mlen;
    if (len < LM_SEAL_OVERHEAD)
        return LM_EPROTO;
    if (len - LM_SEAL_OVERHEAD > (size_t)INT_MAX ||
        cap < len - LM_SEAL_OVERHEAD)
        return LM_ETOOBIG;
    uint64_t c = get_le64(in);
    if (c == 0) { /* never sent by lm_session_seal */
        s->forgeries++;
        return LM_EAUTH;
    }
    /* Cheap rejection first, but only from state that authentic packets
     * built: a forgery must never move the window. */
    if (!window_fresh(s, c)) {
        s->replays++;
        return LM_EREPLAY;
    }
    nonce_ad(c, channel, nonce, ad);
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(
            pt ? pt : &none, &mlen, NULL, in + 8, len - 8, ad, sizeof ad, nonce,
            s->rx) != 0) {
        s->forgeries++;
        return LM_EAUTH;
    }
    window_mark(s, c);
    return (int)mlen;
}

void lm_session_wipe(lm_session *s)
{
    sodium_memzero(s, sizeof *s);
}

void lm_secure_wipe(void *p, size_t len)
{
    sodium_memzero(p, len);
}

uint64_t lm_room_tag(const char *room)
{
    uint8_t h[16]; /* BLAKE2b's shortest output; the first 8 bytes serve */
    hash_labelled(h, sizeof h, NULL, LABEL("lanmeet-room-tag-v1\0"),
                  (const uint8_t *)room, strlen(room));
    return get_le64(h);
}

uint64_t lm_room_key_check(const uint8_t room_key[LM_KEY_BYTES])
{
    uint8_t h[16];
    hash_labelled(h, sizeof h, room_key, LABEL("lanmeet-key-check-v1\0"),
                  NULL, 0);
    return get_le64(h);
}
