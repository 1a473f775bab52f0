/* crypto.h - identities, room keys and sealed links (libsodium).
 *
 * Identity: a long-term Ed25519 key pair kept in the config directory
 * (file mode 0600); the node id is derived from its public key, so in a
 * private room nobody can speak under another node's id.
 * Room key: a private room's passphrase stretched with Argon2id (salt from
 * the room name); an open room's key is derived from its name alone.
 * Link: each side makes an ephemeral X25519 key pair for the hello and
 * signs it with its identity; both derive one key per direction from the
 * X25519 exchange mixed with the room key, so a node without the room key
 * derives other keys and can neither read nor forge anything, and a
 * passive listener never learns the keys. Every payload is then sealed
 * with XChaCha20-Poly1305: a 64-bit counter and the channel number make
 * the nonce, the channel is bound as associated data, and a sliding window
 * rejects replays while tolerating the reordering of unreliable packets.
 * A link keeps one lm_session per ENet channel (copies of one derived
 * session), because ENet orders each channel alone.
 * All functions are pure apart from lm_identity_load (file I/O) and the
 * random numbers; lm_crypto_init must be called once first.
 */
#ifndef LM_CRYPTO_H
#define LM_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LM_KEY_BYTES 32
#define LM_SIG_BYTES 64
#define LM_SEAL_OVERHEAD (8 + 16) /* counter + Poly1305 tag */
#define LM_REPLAY_WINDOW 1024     /* packets a late one may trail by */
#define LM_FINGERPRINT_LEN 25     /* "xxxx-xxxx-xxxx-xxxx-xxxx" + NUL */

int lm_crypto_init(void); /* 0 or LM_EIO */

typedef struct lm_identity {
    uint8_t pk[LM_KEY_BYTES]; /* Ed25519 public key */
    uint8_t sk[64];           /* Ed25519 secret key */
    uint64_t id;              /* derived from pk, never 0 */
    char fingerprint[LM_FINGERPRINT_LEN]; /* for people to compare */
} lm_identity;

/* Loads DIR/identity.key, or creates it (DIR created 0700, file 0600).
 * dir NULL: $XDG_CONFIG_HOME/lanmeet or ~/.config/lanmeet. A file with
 * looser permissions or the wrong size is refused (LM_EPROTO), not used.
 * On error, why (may be NULL) gets a sentence for the user. */
int lm_identity_load(const char *dir, lm_identity *out, char *why, size_t cap);
/* Takes the identity in DIR (as lm_identity_load finds it) for this
 * process: an advisory lock held while *fd stays open. LM_EFULL when
 * another process holds it (then use a fresh identity instead). */
int lm_identity_lock(const char *dir, int *fd, char *why, size_t cap);
/* A fresh identity in memory only (tests, --identity ephemeral). */
void lm_identity_generate(lm_identity *out);

uint64_t lm_id_from_pk(const uint8_t pk[LM_KEY_BYTES]);
void lm_fingerprint(const uint8_t pk[LM_KEY_BYTES], char out[LM_FINGERPRINT_LEN]);

/* Room keys. The open room key is public knowledge (anyone who knows the
 * name can derive it); it still keeps passive listeners out. */
void lm_room_key_open(const char *room, uint8_t key[LM_KEY_BYTES]);
/* Argon2id, interactive limits (~0.1 s, 64 MiB). LM_ENOMEM if it cannot. */
int lm_room_key_password(const char *room, const char *pass,
                         uint8_t key[LM_KEY_BYTES]);

/* The hello's ephemeral key pair. */
typedef struct lm_ephemeral {
    uint8_t pk[LM_KEY_BYTES];
    uint8_t sk[LM_KEY_BYTES];
} lm_ephemeral;
void lm_ephemeral_new(lm_ephemeral *e);

/* Signature binding an ephemeral key to an identity:
 * sig = Ed25519(identity, "lanmeet-hello-v1" || eph_pk). */
void lm_hello_sign(const lm_identity *me, const uint8_t eph_pk[LM_KEY_BYTES],
                   uint8_t sig[LM_SIG_BYTES]);
bool lm_hello_verify(const uint8_t id_pk[LM_KEY_BYTES],
                     const uint8_t eph_pk[LM_KEY_BYTES],
                     const uint8_t sig[LM_SIG_BYTES]);

typedef struct lm_session {
    uint8_t rx[LM_KEY_BYTES], tx[LM_KEY_BYTES];
    uint64_t tx_next;             /* next counter to send, from 1 */
    uint64_t rx_top;              /* highest counter accepted, 0: none */
    uint64_t rx_window[LM_REPLAY_WINDOW / 64]; /* bit i: rx_top - i seen */
    unsigned long replays, forgeries; /* rejected, counted */
} lm_session;

/* Derives both directions' keys. Both sides call it with their own
 * ephemeral pair and the other's public key; the side with the smaller
 * ephemeral public key (memcmp) is the "client" of crypto_kx, so no other
 * agreement is needed. The room key is mixed in with a keyed BLAKE2b. */
int lm_session_derive(lm_session *s, const lm_ephemeral *mine,
                      const uint8_t their_pk[LM_KEY_BYTES],
                      const uint8_t room_key[LM_KEY_BYTES]);

/* Seals pt into out (cap >= len + LM_SEAL_OVERHEAD): counter (8 bytes LE)
 * then ciphertext and tag. Returns the length or LM_ETOOBIG. */
int lm_session_seal(lm_session *s, uint8_t channel, const uint8_t *pt,
                    size_t len, uint8_t *out, size_t cap);
/* Opens in into pt (cap >= len - LM_SEAL_OVERHEAD). Returns the plaintext
 * length, LM_EAUTH for a forgery or a wrong key, LM_EREPLAY for a counter
 * seen before or too far behind the window, LM_EPROTO when too short. */
int lm_session_open(lm_session *s, uint8_t channel, const uint8_t *in,
                    size_t len, uint8_t *pt, size_t cap);

void lm_session_wipe(lm_session *s); /* sodium_memzero */
void lm_secure_wipe(void *p, size_t len); /* sodium_memzero */

/* A public 64-bit tag of a room name for the hello: two nodes tell "other
 * room" from "wrong password" with it. Not secret: room names are
 * published over mDNS anyway. */
uint64_t lm_room_tag(const char *room);

/* A public 64-bit check of a room key for the hello: nodes of one room
 * name tell "the same password" from "another one" before they try to
 * open anything, so a neighbouring room with its own password is not
 * taken for an intruder. It gives a guesser nothing the sealed intro does
 * not already give: each guess still costs an Argon2id stretch. */
uint64_t lm_room_key_check(const uint8_t room_key[LM_KEY_BYTES]);

#endif
