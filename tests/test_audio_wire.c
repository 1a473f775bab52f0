/* test_audio_wire.c - tests for core/audio/audio_wire.c.
 *
 * Round trips of each message kind, then hostile input: every truncation
 * of a good packet, trailing bytes, each bad field, lengths over the cap,
 * and the encoder's refusals. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "audio/audio_wire.h"
#include "check.h"
#include "err.h"
#include "wire.h"

static lm_audio_msg frame_msg(uint8_t type, size_t len, bool red)
{
    lm_audio_msg m;
    memset(&m, 0, sizeof m);
    m.type = type;
    m.seq = 0xfffffffeu;
    m.capture_us = -123456789;
    m.frame_us = 10000;
    m.flags = LM_AUDIO_VOICE | (red ? LM_AUDIO_REDUNDANT : 0);
    m.source = type == LM_MSG_AUDIO_MIX ? 0x0123456789abcdefu : 0;
    m.len = len;
    for (size_t i = 0; i < len; i++)
        m.frame[i] = (uint8_t)(i * 7 + 1);
    if (red) {
        m.red_len = len; /* the previous frame, as long as this one */
        for (size_t i = 0; i < m.red_len; i++)
            m.redundant[i] = (uint8_t)(255 - i);
    }
    return m;
}

static void check_same(const lm_audio_msg *a, const lm_audio_msg *b)
{
    CHECK_EQ_INT(a->type, b->type);
    if (a->type == LM_MSG_AUDIO_NOTE) {
        CHECK_EQ_INT(a->kind, b->kind);
        CHECK(a->id == b->id);
        CHECK_EQ_INT(a->on, b->on);
        return;
    }
    CHECK(a->seq == b->seq);
    CHECK(a->capture_us == b->capture_us);
    CHECK_EQ_INT(a->frame_us, b->frame_us);
    CHECK_EQ_INT(a->flags, b->flags);
    CHECK(a->source == b->source);
    CHECK_EQ_INT((int)a->len, (int)b->len);
    CHECK(memcmp(a->frame, b->frame, a->len) == 0);
    CHECK_EQ_INT((int)a->red_len, (int)b->red_len);
    CHECK(memcmp(a->redundant, b->redundant, a->red_len) == 0);
}

static void test_round_trips(void)
{
    lm_audio_msg note;
    memset(&note, 0, sizeof note);
    note.type = LM_MSG_AUDIO_NOTE;
    note.kind = LM_NOTE_SPEAKING;
    note.id = 42;
    note.on = 1;
    const lm_audio_msg cases[] = {
        frame_msg(LM_MSG_AUDIO, 0, false),
        frame_msg(LM_MSG_AUDIO, 80, false),
        frame_msg(LM_MSG_AUDIO, 160, true),
        frame_msg(LM_MSG_AUDIO_MIX, 1, false),
        frame_msg(LM_MSG_AUDIO_MIX, LM_AUDIO_FRAME_MAX, true),
        note,
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint8_t buf[LM_AUDIO_WIRE_MAX];
        int n = lm_audio_encode(&cases[i], buf, sizeof buf);
        CHECK(n > 0);
        lm_audio_msg back;
        CHECK_EQ_INT(lm_audio_decode(buf, (size_t)n, &back), 0);
        check_same(&cases[i], &back);
        /* the largest message fits the advertised maximum exactly */
        if (cases[i].len == LM_AUDIO_FRAME_MAX)
            CHECK_EQ_INT(n, LM_AUDIO_WIRE_MAX);
    }
}

static void test_truncation_and_trailing(void)
{
    lm_audio_msg m = frame_msg(LM_MSG_AUDIO_MIX, 100, true);
    uint8_t buf[LM_AUDIO_WIRE_MAX + 1];
    int n = lm_audio_encode(&m, buf, sizeof buf);
    CHECK(n > 0);
    lm_audio_msg out;
    for (int k = 0; k < n; k++)
        CHECK_EQ_INT(lm_audio_decode(buf, (size_t)k, &out), LM_EPROTO);
    buf[n] = 0;
    CHECK_EQ_INT(lm_audio_decode(buf, (size_t)n + 1, &out), LM_EPROTO);
    CHECK_EQ_INT((int)out.len, 0); /* nothing half-read is left */
}

static void test_bad_fields(void)
{
    uint8_t buf[LM_AUDIO_WIRE_MAX];
    lm_audio_msg out;
    /* offsets in an AUDIO packet: type 0, seq 1, capture 5, frame_us 13,
     * flags 15, length 16 */
    static const struct {
        const char *what;
        size_t at;
        uint8_t lo, hi; /* bytes written at `at`, at + 1 */
        int rc;
    } rows[] = {
        {"frame of 7 ms", 13, 0x58, 0x1b, LM_EPROTO},
        {"frame of 0 ms", 13, 0, 0, LM_EPROTO},
        {"unknown flag", 15, 0x80, 0x00, LM_EPROTO},
        {"length over the cap", 16, 0xff, 0x04, LM_ETOOBIG}, /* 1279 */
        {"length past the end", 16, 0x64, 0x00, LM_EPROTO},  /* 100 */
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        lm_audio_msg m = frame_msg(LM_MSG_AUDIO, 10, false);
        int n = lm_audio_encode(&m, buf, sizeof buf);
        CHECK(n > 0);
        buf[rows[i].at] = rows[i].lo;
        if (rows[i].at != 15)
            buf[rows[i].at + 1] = rows[i].hi;
        int rc = lm_audio_decode(buf, (size_t)n, &out);
        if (rc != rows[i].rc)
            printf("  row '%s': rc %d, expected %d\n", rows[i].what, rc,
                   rows[i].rc);
        CHECK_EQ_INT(rc, rows[i].rc);
    }
    /* a note of an unknown kind, or with on = 2 */
    const uint8_t note_kind[] = {LM_MSG_AUDIO_NOTE, 9, 1, 0, 0, 0, 0, 0, 0, 0, 1};
    CHECK_EQ_INT(lm_audio_decode(note_kind, sizeof note_kind, &out), LM_EPROTO);
    const uint8_t note_on[] = {LM_MSG_AUDIO_NOTE, 1, 1, 0, 0, 0, 0, 0, 0, 0, 2};
    CHECK_EQ_INT(lm_audio_decode(note_on, sizeof note_on, &out), LM_EPROTO);
    const uint8_t chat[] = {LM_MSG_CHAT_ACK, 1, 0, 0, 0, 0, 0, 0, 0};
    CHECK_EQ_INT(lm_audio_decode(chat, sizeof chat, &out), LM_EUNKNOWN);
    CHECK_EQ_INT(lm_audio_decode(buf, 0, &out), LM_EPROTO);
    static uint8_t huge[LM_AUDIO_WIRE_MAX + 1] = {LM_MSG_AUDIO};
    CHECK_EQ_INT(lm_audio_decode(huge, sizeof huge, &out), LM_ETOOBIG);
}

static void test_encode_refuses(void)
{
    uint8_t buf[LM_AUDIO_WIRE_MAX];
    lm_audio_msg m = frame_msg(LM_MSG_AUDIO, 10, false);
    m.frame_us = 20000;
    CHECK_EQ_INT(lm_audio_encode(&m, buf, sizeof buf), LM_EINVAL);
    m = frame_msg(LM_MSG_AUDIO, 10, false);
    m.flags = 0x40;
    CHECK_EQ_INT(lm_audio_encode(&m, buf, sizeof buf), LM_EINVAL);
    m = frame_msg(LM_MSG_AUDIO, 10, false);
    m.len = LM_AUDIO_FRAME_MAX + 1;
    CHECK_EQ_INT(lm_audio_encode(&m, buf, sizeof buf), LM_ETOOBIG);
    m = frame_msg(LM_MSG_AUDIO, 100, false);
    CHECK_EQ_INT(lm_audio_encode(&m, buf, 50), LM_ETOOBIG);
    m.type = LM_MSG_CHAT;
    CHECK_EQ_INT(lm_audio_encode(&m, buf, sizeof buf), LM_EINVAL);
}

int main(void)
{
    RUN(test_round_trips);
    RUN(test_truncation_and_trailing);
    RUN(test_bad_fields);
    RUN(test_encode_refuses);
    return check_report();
}
