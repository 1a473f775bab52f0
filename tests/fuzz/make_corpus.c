/* make_corpus.c - writes the seed corpus for fuzz_wire: one valid
 * encoding of each message type, as DIR/NN_name.bin. LM_MSG_SEALED gets
 * no seed: it is framing for the crypto layer and never decodes.
 *
 * Usage: make_corpus DIR   (DIR is created if missing, not its parents)
 * The seeds are committed in tests/fuzz/corpus/wire; rerun this after a
 * change to the wire format and commit the new files. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "err.h"
#include "wire.h"

/* A plausible message of each type, with every optional part present so
 * the fuzzer starts from inputs that reach every field. */
static void seed(uint8_t type, lm_msg *m)
{
    memset(m, 0, sizeof *m);
    m->type = type;
    switch (type) {
    case LM_MSG_HELLO:
        m->u.hello.magic = LM_PROTO_MAGIC;
        m->u.hello.version = LM_PROTO_VERSION;
        m->u.hello.flags = LM_HELLO_PRIVATE;
        m->u.hello.room_tag = 0x0123456789abcdefu;
        for (size_t i = 0; i < LM_KEY_LEN; i++) {
            m->u.hello.eph_pk[i] = (uint8_t)(0x40 + i);
            m->u.hello.id_pk[i] = (uint8_t)(0x80 + i);
        }
        for (size_t i = 0; i < LM_SIGNATURE_LEN; i++)
            m->u.hello.sig[i] = (uint8_t)(0xa0 + i);
        break;
    case LM_MSG_REJECT:
        m->u.reject.code = LM_REJECT_VERSION;
        strcpy(m->u.reject.reason, "version 1 only");
        break;
    case LM_MSG_STATE:
        m->u.state.st = (lm_elect_state){3, 11, 12, 5};
        m->u.state.flags = LM_INTRO_FORCED;
        break;
    case LM_MSG_PEERS:
        m->u.peers.n = 2;
        m->u.peers.peer[0] = (lm_peer_addr){11, 0xc0a80002u, 7000};
        m->u.peers.peer[1] = (lm_peer_addr){12, 0xc0a80003u, 7001};
        break;
    case LM_MSG_CHAT_SUBMIT:
        m->u.submit.msgid = 1;
        m->u.submit.ts = 1700000000500;
        strcpy(m->u.submit.text, "hello \xe2\x82\xac");
        break;
    case LM_MSG_CHAT:
        m->u.chat.seq = 1;
        m->u.chat.chain = 0x5eed;
        m->u.chat.origin = 11;
        m->u.chat.msgid = 1;
        m->u.chat.ts = 1700000000500;
        m->u.chat.flags = LM_CHAT_HISTORY;
        strcpy(m->u.chat.name, "Ana");
        strcpy(m->u.chat.text, "hi \xf0\x9f\x98\x80\nbye");
        break;
    case LM_MSG_CHAT_ACK:
        m->u.ack.seq = 42;
        break;
    case LM_MSG_SYNC_REQ:
        m->u.sync_req.seq = 41;
        m->u.sync_req.origin = 11;
        m->u.sync_req.msgid = 3;
        m->u.sync_req.chain = 0x5eed;
        m->u.sync_req.ask = 2;
        break;
    case LM_MSG_SYNC_START:
        m->u.sync_start.seq = 42;
        m->u.sync_start.flags = LM_SYNC_RESET;
        break;
    case LM_MSG_DM:
        m->u.dm.msgid = 2;
        m->u.dm.ts = 1700000000900;
        m->u.dm.nto = 2;
        m->u.dm.to[0] = 11;
        m->u.dm.to[1] = 12;
        strcpy(m->u.dm.text, "just us");
        break;
    case LM_MSG_INTRO:
        m->u.intro.start_ms = 1700000000000;
        m->u.intro.flags = LM_INTRO_FORCED;
        m->u.intro.port = 7000;
        strcpy(m->u.intro.name, "Zo\xc3\xab");
        strcpy(m->u.intro.room, "team");
        m->u.intro.st = (lm_elect_state){2, 0x0123456789abcdefu, 7, 9};
        break;
    }
}

int main(int argc, char **argv)
{
    static lm_msg m;
    uint8_t buf[LM_WIRE_MAX];
    char path[4096];

    if (argc != 2) {
        fprintf(stderr, "usage: %s DIR\n", argv[0]);
        return 2;
    }
    if (mkdir(argv[1], 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "%s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    for (uint8_t t = LM_MSG_HELLO; t < LM_MSG_TYPE_END; t++) {
        if (t == LM_MSG_SEALED)
            continue;
        seed(t, &m);
        int len = lm_wire_encode(&m, buf, sizeof buf);
        if (len < 0) {
            fprintf(stderr, "encode %s: %s\n", lm_wire_type_name(t),
                    lm_strerror(len));
            return 1;
        }
        int n = snprintf(path, sizeof path, "%s/%02u_%s.bin", argv[1],
                         (unsigned)t, lm_wire_type_name(t));
        if (n < 0 || (size_t)n >= sizeof path) {
            fprintf(stderr, "path too long\n");
            return 1;
        }
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(buf, 1, (size_t)len, f) != (size_t)len ||
            fclose(f) != 0) {
            fprintf(stderr, "%s: %s\n", path, strerror(errno));
            return 1;
        }
    }
    return 0;
}
