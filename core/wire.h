/* wire.h - the one codec for every lanmeet message.
 *
 * A message on the wire is one ENet packet: a type byte followed by the
 * fields of that type, little-endian, with explicit widths. Strings are a
 * length prefix (u8 for names and rooms, u16 for text) and UTF-8 bytes with
 * no terminator. Decoding never trusts a length: every read is bounds
 * checked, every type has a maximum encoded size, text must be valid UTF-8
 * and names may not hold control characters. Nothing is cast from the wire.
 *
 * lm_msg is a plain value: the decoder copies everything it keeps into the
 * struct, so it borrows nothing from the packet once lm_wire_decode returns.
 *
 * A link opens with a key exchange: HELLO goes in the clear and carries
 * only keys, a signature and a tag for the room; everything else about the
 * sender (its name, room, port, election state) follows in an INTRO sent
 * sealed. A sealed packet is the byte LM_MSG_SEALED followed by opaque
 * bytes made by the crypto layer: the codec never decodes it, so the
 * caller must look at the first byte and open a sealed packet itself
 * before calling lm_wire_decode on what is inside. lm_wire_decode refuses
 * a sealed packet with LM_EPROTO, since it is never a plain message.
 */
#ifndef LM_WIRE_H
#define LM_WIRE_H

#include <stddef.h>
#include <stdint.h>

#define LM_PROTO_MAGIC 0x4c4d4554u /* "TEML" little-endian: 'L','M','E','T' */
#define LM_PROTO_VERSION 2 /* 2: 64-bit message ids, key check, members */

#define LM_NAME_MAX 48     /* bytes of UTF-8 in a display name */
#define LM_ROOM_MAX 48     /* bytes of UTF-8 in a room name */
#define LM_TEXT_MAX 4096   /* bytes of UTF-8 in one chat message */
#define LM_REASON_MAX 200  /* bytes of UTF-8 in a reject reason */
#define LM_MAX_PEERS 64    /* nodes in one room, self included */
#define LM_WIRE_MAX 8192   /* no message of this protocol is larger */
/* Bulk: a file chunk (LM_FILE_WIRE_MAX, core/files/file_wire.h, 66,410
 * bytes) on LM_CH_FILE only; every other channel keeps LM_WIRE_MAX, so a
 * peer's big packet on another lane is still refused and counted. */
#define LM_WIRE_BULK_MAX (65u * 1024)

/* Sizes the crypto layer fixes; wire.h does not include crypto.h. */
#define LM_KEY_LEN 32       /* bytes of a public key in a hello */
#define LM_SIGNATURE_LEN 64 /* bytes of the signature in a hello */

/* ENet channels, fixed for the protocol so media can plug in later. */
enum lm_channel {
    LM_CH_CONTROL = 0, /* reliable: hello, election, peer lists */
    LM_CH_CHAT = 1,    /* reliable: group chat and direct messages */
    LM_CH_AUDIO = 2,   /* unreliable: audio to and from the hub */
    LM_CH_VIDEO = 3,   /* unreliable fragments: camera */
    LM_CH_SCREEN = 4,  /* unreliable + refresh: screen tiles */
    LM_CH_FILE = 5,    /* reliable, windowed: file chunks */
    LM_CH_COUNT = 6
};

/* A message id is unique per sender across its runs: a random number for
 * the run in the high half, a count rising from 1 in the low half. */
#define LM_MSGID_RUN(id) ((uint32_t)((id) >> 32))
#define LM_MSGID_COUNT(id) ((uint32_t)(id))

enum lm_msg_type {
    LM_MSG_HELLO = 1,       /* first message on every link, both ways:
                               the plaintext half of the key exchange */
    LM_MSG_REJECT = 2,      /* why a link is refused, then disconnect */
    LM_MSG_STATE = 3,       /* election state: term, hub, deputy */
    LM_MSG_PEERS = 4,       /* the peers this node is linked to */
    LM_MSG_CHAT_SUBMIT = 5, /* member -> hub: a group message to order */
    LM_MSG_CHAT = 6,        /* hub -> all: an ordered group message */
    LM_MSG_CHAT_ACK = 7,    /* deputy -> hub: I hold this sequence number */
    LM_MSG_SYNC_REQ = 8,    /* member -> hub: send me what follows seq */
    LM_MSG_SYNC_START = 9,  /* hub -> member: history starts at this seq */
    LM_MSG_DM = 10,         /* sender -> each recipient, never via hub */
    LM_MSG_INTRO = 11,      /* sealed second half of the hello, both ways */
    LM_MSG_SEALED = 12,     /* framing only: opaque bytes for the crypto
                               layer; never decoded here (see above) */
    LM_MSG_TYPE_END,
    /* Types a service decodes with its own codec; lm_wire_decode calls
     * them LM_EUNKNOWN. Numbers are global, so they are kept here. */
    LM_MSG_AUDIO = 13,      /* member -> hub: one captured frame (audio) */
    LM_MSG_AUDIO_MIX = 14,  /* hub -> member: its mix, or a frame forwarded */
    LM_MSG_AUDIO_NOTE = 15, /* muted / speaking, to every member */
    /* 24..31: video (core/video/video_wire.h), on LM_CH_VIDEO */
    LM_MSG_VIDEO_BAND = 24,   /* sender -> viewer: one piece of a frame */
    LM_MSG_VIDEO_ASK = 25,    /* viewer -> sender: the size it shows */
    LM_MSG_VIDEO_REPORT = 26, /* viewer -> sender: loss, delay, decode */
    LM_MSG_VIDEO_STATE = 27,  /* sender -> all: camera on/off, size, fps */
    /* 16..23: files (core/files/file_wire.h), on LM_CH_FILE */
    LM_MSG_FILE_OFFER = 16,   /* a file: uploader -> hub, hub -> recipients */
    LM_MSG_FILE_HAVE = 17,    /* the chunks the sender of this holds */
    LM_MSG_FILE_REQUEST = 18, /* receiver -> sender: send these chunks */
    LM_MSG_FILE_CHUNK = 19,   /* one chunk and its hash-tree proof */
    LM_MSG_FILE_DONE = 20,    /* receiver -> sender: all held, SHA-256 ok */
    LM_MSG_FILE_REFUSE = 21,  /* a transfer refused, with a reason code */
    LM_MSG_FILE_CANCEL = 22,  /* the sender or receiver gives up */
    LM_MSG_FILE_LIST = 23,    /* member -> hub: offer me what you hold */
};

enum lm_reject_code {
    LM_REJECT_VERSION = 1,
    LM_REJECT_ROOM = 2,
    /* 3 and 4 (self, duplicate) are retired: such links are closed
     * without a word (LM_BYE_DUP) */
    LM_REJECT_FULL = 5,      /* room at LM_MAX_PEERS */
};

#define LM_HELLO_PRIVATE 0x01 /* the sender's room has a password */
#define LM_HELLO_IN_ROOM 0x02 /* the sender has members: a room, not a joiner */
#define LM_INTRO_FORCED 0x01  /* started with --host */
#define LM_STATE_HANDOVER 0x02 /* STATE, to one member: the sender, hub of
                                  this state, hands the hub to it */
#define LM_CHAT_HISTORY 0x01  /* sent as history, not live */
/* The hub's history differs from the member's: drop yours, take mine. */
#define LM_SYNC_RESET 0x01

typedef struct lm_elect_state {
    uint64_t term;   /* raised by every election; 0 before the first */
    uint64_t hub;    /* node id, 0 for none */
    uint64_t deputy; /* node id, 0 for none */
    uint32_t hub_run; /* which run of the hub made the claim: a node that
                         restarts holds none of its old run's state */
} lm_elect_state;

typedef struct lm_peer_addr {
    uint64_t id;
    uint32_t ipv4; /* host byte order, as ENetAddress.host is not: see node.c */
    uint16_t port;
} lm_peer_addr;

typedef struct lm_msg {
    uint8_t type;
    union {
        struct {
            uint32_t magic;
            uint16_t version;
            uint8_t flags;     /* LM_HELLO_* */
            uint64_t room_tag; /* names the room without revealing it */
            uint64_t key_check; /* tells room keys apart (crypto.h) */
            uint8_t eph_pk[LM_KEY_LEN]; /* ephemeral key for this link */
            uint8_t id_pk[LM_KEY_LEN];  /* the sender's long-term identity */
            uint8_t sig[LM_SIGNATURE_LEN];
        } hello;
        struct {
            uint8_t code; /* lm_reject_code */
            char reason[LM_REASON_MAX + 1];
        } reject;
        struct {
            lm_elect_state st;
            uint8_t flags; /* LM_INTRO_FORCED, LM_STATE_HANDOVER */
        } state;
        struct {
            uint8_t n;
            lm_peer_addr peer[LM_MAX_PEERS];
        } peers;
        struct {
            uint64_t msgid; /* per origin: run << 32 | count (LM_MSGID_*) */
            int64_t ts;     /* UTC ms at the sender */
            char text[LM_TEXT_MAX + 1];
        } submit;
        struct {
            uint64_t seq;
            uint64_t chain; /* the hub's digest of its history up to seq */
            uint64_t origin;
            uint64_t msgid;
            int64_t ts;
            uint8_t flags; /* LM_CHAT_HISTORY */
            char name[LM_NAME_MAX + 1];
            char text[LM_TEXT_MAX + 1];
        } chat;
        struct {
            uint64_t seq;
        } ack;
        struct {
            uint64_t seq;    /* the member's last sequence number */
            uint64_t origin; /* (origin, msgid) of its entry at seq, */
            uint64_t msgid;  /* all three 0 when it has none */
            uint64_t chain;  /* the hub's digest stamped on that entry */
            uint32_t ask;    /* rises with each request: names the answer */
        } sync_req;
        struct {
            uint64_t seq;
            uint8_t flags; /* LM_SYNC_RESET */
            uint32_t ask;  /* the request this answers */
        } sync_start;
        struct {
            uint64_t msgid;
            int64_t ts;
            uint8_t nto;
            uint64_t to[LM_MAX_PEERS];
            char text[LM_TEXT_MAX + 1];
        } dm;
        struct {
            int64_t start_ms; /* UTC ms the node started: orders equal names */
            uint8_t flags;    /* LM_INTRO_* */
            uint16_t port;    /* the sender's own ENet port */
            uint8_t members;  /* nodes the sender is linked to in the room */
            uint32_t run;     /* random per run of the node (LM_MSGID_RUN) */
            char name[LM_NAME_MAX + 1];
            char room[LM_ROOM_MAX + 1];
            lm_elect_state st;
        } intro;
    } u;
} lm_msg;

/* Encodes m into buf (cap bytes). Returns the length written, or LM_ETOOBIG
 * when it does not fit or a field is over its cap, LM_EINVAL for a bad type
 * or string. */
int lm_wire_encode(const lm_msg *m, uint8_t *buf, size_t cap);

/* Decodes len bytes into *m. Returns 0, LM_EPROTO for malformed or
 * truncated input, trailing bytes or a sealed packet (LM_MSG_SEALED: the
 * caller opens those first), LM_EUTF8 for bad text, LM_ETOOBIG over
 * the type's cap, LM_EUNKNOWN for a type this version does not know.
 * A HELLO whose magic or version differs decodes only magic and version and
 * returns LM_EVERSION, so the caller can say which version it met. */
int lm_wire_decode(const uint8_t *buf, size_t len, lm_msg *m);

/* Largest encoded size of a message of this type, 0 for unknown types and
 * for LM_MSG_SEALED, whose size is the crypto layer's business. */
size_t lm_wire_max_size(uint8_t type);

const char *lm_wire_type_name(uint8_t type);

#endif
