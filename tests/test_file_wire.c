/* test_file_wire.c - tests for core/files/file_wire.c.
 *
 * Round trips of every message type (same bytes back), the largest chunk
 * at exactly LM_FILE_WIRE_MAX, then hostile input: every truncation,
 * trailing bytes, a table of bad fields patched into good packets, the
 * encoder's refusals, and the shared arithmetic (chunk counts, ranges,
 * hex ids) by tables. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "err.h"
#include "file_samples.h"
#include "files/file_wire.h"

static uint8_t buf[LM_FILE_WIRE_MAX + 16];
static uint8_t again[LM_FILE_WIRE_MAX + 16];

static int encode_sample(uint8_t type)
{
    lm_file_msg m;
    file_sample(type, &m);
    return lm_file_encode(&m, buf, sizeof buf);
}

static void check_same(const lm_file_msg *a, const lm_file_msg *b)
{
    CHECK_EQ_INT(a->type, b->type);
    if (a->type != LM_MSG_FILE_LIST)
        CHECK(memcmp(a->id, b->id, LM_FILE_ID_LEN) == 0);
    switch (a->type) {
    case LM_MSG_FILE_OFFER:
        CHECK(memcmp(&a->offer.root, &b->offer.root, LM_FILE_HASH_LEN) == 0);
        CHECK(a->offer.size == b->offer.size);
        CHECK_EQ_INT(a->offer.chunk, b->offer.chunk);
        CHECK(a->offer.from == b->offer.from);
        CHECK(a->offer.ts == b->offer.ts);
        CHECK_EQ_INT(a->offer.flags, b->offer.flags);
        CHECK_EQ_INT(a->offer.nto, b->offer.nto);
        CHECK(memcmp(a->offer.to, b->offer.to, 8 * a->offer.nto) == 0);
        CHECK_EQ_STR(a->offer.from_name, b->offer.from_name);
        CHECK_EQ_STR(a->offer.name, b->offer.name);
        break;
    case LM_MSG_FILE_HAVE:
    case LM_MSG_FILE_REQUEST:
        CHECK_EQ_INT((int)a->nranges, (int)b->nranges);
        for (size_t i = 0; i < a->nranges; i++) {
            CHECK_EQ_INT(a->ranges[i].first, b->ranges[i].first);
            CHECK_EQ_INT(a->ranges[i].count, b->ranges[i].count);
        }
        break;
    case LM_MSG_FILE_CHUNK:
        CHECK_EQ_INT(a->index, b->index);
        CHECK_EQ_INT((int)a->nproof, (int)b->nproof);
        CHECK(memcmp(a->proof, b->proof, a->nproof * LM_FILE_HASH_LEN) == 0);
        CHECK_EQ_INT((int)a->len, (int)b->len);
        CHECK(memcmp(a->data, b->data, a->len) == 0);
        break;
    case LM_MSG_FILE_REFUSE:
    case LM_MSG_FILE_CANCEL: CHECK_EQ_INT(a->code, b->code); break;
    default: break;
    }
}

static void test_round_trips(void)
{
    for (size_t t = 0; t < FILE_SAMPLE_TYPES; t++) {
        lm_file_msg m, back;
        file_sample(file_sample_types[t], &m);
        int n = lm_file_encode(&m, buf, sizeof buf);
        CHECK(n > 0);
        CHECK_EQ_INT(buf[0], file_sample_types[t]);
        CHECK_EQ_INT(lm_file_decode(buf, (size_t)n, &back), 0);
        check_same(&m, &back);
        int n2 = lm_file_encode(&back, again, sizeof again);
        CHECK_EQ_INT(n2, n);
        CHECK(n2 == n && memcmp(buf, again, (size_t)n) == 0);
    }
    /* the largest chunk is exactly the advertised maximum */
    static uint8_t data[LM_FILE_CHUNK_MAX];
    lm_file_msg m, back;
    file_sample(LM_MSG_FILE_CHUNK, &m);
    m.nproof = LM_FILE_DEPTH_MAX;
    m.data = data;
    m.len = sizeof data;
    int n = lm_file_encode(&m, buf, sizeof buf);
    CHECK_EQ_INT(n, LM_FILE_WIRE_MAX);
    CHECK_EQ_INT(lm_file_decode(buf, (size_t)n, &back), 0);
    CHECK(back.data == buf + (n - LM_FILE_CHUNK_MAX)); /* borrowed, no copy */
    /* an offer to the whole room, and the most ranges */
    file_sample(LM_MSG_FILE_OFFER, &m);
    m.offer.nto = 0;
    n = lm_file_encode(&m, buf, sizeof buf);
    CHECK(n > 0 && lm_file_decode(buf, (size_t)n, &back) == 0);
    CHECK_EQ_INT(back.offer.nto, 0);
    file_sample(LM_MSG_FILE_HAVE, &m);
    m.nranges = LM_FILE_RANGES_MAX;
    for (size_t i = 0; i < m.nranges; i++)
        m.ranges[i] = (lm_file_range){(uint32_t)(3 * i), 2};
    n = lm_file_encode(&m, buf, sizeof buf);
    CHECK_EQ_INT(n, 1 + 32 + 1 + 8 * LM_FILE_RANGES_MAX);
    CHECK(lm_file_decode(buf, (size_t)n, &back) == 0);
    check_same(&m, &back);
    /* a HAVE may say "nothing" */
    m.nranges = 0;
    n = lm_file_encode(&m, buf, sizeof buf);
    CHECK(n > 0 && lm_file_decode(buf, (size_t)n, &back) == 0);
}

static void test_truncation_and_trailing(void)
{
    for (size_t t = 0; t < FILE_SAMPLE_TYPES; t++) {
        int n = encode_sample(file_sample_types[t]);
        CHECK(n > 0);
        lm_file_msg out;
        for (int k = 0; k < n; k++) {
            int rc = lm_file_decode(buf, (size_t)k, &out);
            if (rc != LM_EPROTO)
                printf("  type %d cut at %d: rc %d\n", file_sample_types[t], k,
                       rc);
            CHECK_EQ_INT(rc, LM_EPROTO);
        }
        buf[n] = 0;
        CHECK_EQ_INT(lm_file_decode(buf, (size_t)n + 1, &out), LM_EPROTO);
        CHECK_EQ_INT(out.type, file_sample_types[t]);
        CHECK(out.data == NULL && out.len == 0); /* nothing half-read */
    }
}

/* Little-endian bytes of v at buf + at. */
static void put_le(size_t at, uint64_t v, size_t width)
{
    for (size_t i = 0; i < width; i++)
        buf[at + i] = (uint8_t)(v >> (8 * i));
}

/* Offsets in the samples (see the layouts in file_wire.h). */
enum {
    OF_SIZE = 33,
    OF_CHUNK = 41,
    OF_FLAGS = 93,
    OF_NTO = 94,
    OF_TO = 95,
    OF_FROM_NAME = 119, /* its length byte; "alice" follows */
    HV_N = 33,
    HV_RANGES = 34,
    CK_INDEX = 33,
    CK_NPROOF = 37,
    CK_LEN = 38 + 3 * 32,
    RF_CODE = 33,
};

static void test_bad_fields(void)
{
    static const struct {
        const char *what;
        uint8_t type;
        size_t at, width;
        uint64_t value;
        int rc;
    } rows[] = {
        {"size past 1 TiB", LM_MSG_FILE_OFFER, OF_SIZE, 8, LM_FILE_SIZE_MAX + 1,
         LM_EPROTO},
        {"size 2^64-1", LM_MSG_FILE_OFFER, OF_SIZE, 8, UINT64_MAX, LM_EPROTO},
        {"chunk 128 KiB", LM_MSG_FILE_OFFER, OF_CHUNK, 4, 128 * 1024,
         LM_EPROTO},
        {"chunk 8 KiB", LM_MSG_FILE_OFFER, OF_CHUNK, 4, 8 * 1024, LM_EPROTO},
        {"chunk 48 KiB", LM_MSG_FILE_OFFER, OF_CHUNK, 4, 48 * 1024, LM_EPROTO},
        {"chunk 0", LM_MSG_FILE_OFFER, OF_CHUNK, 4, 0, LM_EPROTO},
        {"unknown flag", LM_MSG_FILE_OFFER, OF_FLAGS, 1, 0x04, LM_EPROTO},
        {"65 recipients", LM_MSG_FILE_OFFER, OF_NTO, 1, 65, LM_ETOOBIG},
        {"recipient 0", LM_MSG_FILE_OFFER, OF_TO, 8, 0, LM_EPROTO},
        {"recipients not ascending", LM_MSG_FILE_OFFER, OF_TO + 8, 8, 7,
         LM_EPROTO},
        {"control in the sender's name", LM_MSG_FILE_OFFER, OF_FROM_NAME + 2, 1,
         0x1b, LM_EPROTO},
        {"sender's name over the cap", LM_MSG_FILE_OFFER, OF_FROM_NAME, 1,
         LM_NAME_MAX + 1, LM_ETOOBIG},
        {"bad UTF-8 in the file name", LM_MSG_FILE_OFFER, OF_FROM_NAME + 8, 1,
         0xff, LM_EUTF8},
        {"65 ranges", LM_MSG_FILE_HAVE, HV_N, 1, 65, LM_ETOOBIG},
        {"empty range", LM_MSG_FILE_HAVE, HV_RANGES + 4, 4, 0, LM_EPROTO},
        {"ranges touching", LM_MSG_FILE_HAVE, HV_RANGES + 8, 4, 10, LM_EPROTO},
        {"ranges overlapping", LM_MSG_FILE_HAVE, HV_RANGES + 8, 4, 5,
         LM_EPROTO},
        {"range past the last chunk", LM_MSG_FILE_HAVE, HV_RANGES + 12, 4,
         LM_FILE_CHUNKS_MAX, LM_EPROTO},
        {"request of nothing", LM_MSG_FILE_REQUEST, HV_N, 1, 0, LM_EPROTO},
        {"index past the last chunk", LM_MSG_FILE_CHUNK, CK_INDEX, 4,
         LM_FILE_CHUNKS_MAX, LM_EPROTO},
        {"proof deeper than any tree", LM_MSG_FILE_CHUNK, CK_NPROOF, 1,
         LM_FILE_DEPTH_MAX + 1, LM_ETOOBIG},
        {"chunk of 0 bytes", LM_MSG_FILE_CHUNK, CK_LEN, 4, 0, LM_EPROTO},
        {"chunk over 64 KiB", LM_MSG_FILE_CHUNK, CK_LEN, 4,
         LM_FILE_CHUNK_MAX + 1, LM_ETOOBIG},
        {"chunk of 4 GiB", LM_MSG_FILE_CHUNK, CK_LEN, 4, UINT32_MAX,
         LM_ETOOBIG},
        {"chunk longer than the packet", LM_MSG_FILE_CHUNK, CK_LEN, 4, 101,
         LM_EPROTO},
        {"refuse code 0", LM_MSG_FILE_REFUSE, RF_CODE, 1, 0, LM_EPROTO},
        {"refuse code past the list", LM_MSG_FILE_REFUSE, RF_CODE, 1,
         LM_FILE_REFUSE_END, LM_EPROTO},
        {"cancel with no reason", LM_MSG_FILE_CANCEL, RF_CODE, 1, 0, 0},
        {"cancel code past the list", LM_MSG_FILE_CANCEL, RF_CODE, 1,
         LM_FILE_REFUSE_END, LM_EPROTO},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        int n = encode_sample(rows[i].type);
        CHECK(n > 0);
        put_le(rows[i].at, rows[i].value, rows[i].width);
        lm_file_msg out;
        int rc = lm_file_decode(buf, (size_t)n, &out);
        if (rc != rows[i].rc)
            printf("  row '%s': rc %d, expected %d\n", rows[i].what, rc,
                   rows[i].rc);
        CHECK_EQ_INT(rc, rows[i].rc);
    }

    lm_file_msg out;
    /* an empty file name: the offer ends at the name's length byte, 0 */
    int n = encode_sample(LM_MSG_FILE_OFFER);
    size_t at = OF_FROM_NAME + 1 + 5;
    buf[at] = 0;
    CHECK_EQ_INT(lm_file_decode(buf, at + 1, &out), LM_EPROTO);
    (void)n;
    /* types that are not the file service's */
    static const uint8_t others[] = {0, LM_MSG_CHAT, LM_MSG_AUDIO_NOTE, 24,
                                     255};
    for (size_t i = 0; i < sizeof others; i++) {
        uint8_t b[40] = {others[i]};
        CHECK_EQ_INT(lm_file_decode(b, sizeof b, &out), LM_EUNKNOWN);
    }
    CHECK_EQ_INT(lm_file_decode(buf, 0, &out), LM_EPROTO);
    static uint8_t huge[LM_FILE_WIRE_MAX + 1] = {LM_MSG_FILE_CHUNK};
    CHECK_EQ_INT(lm_file_decode(huge, sizeof huge, &out), LM_ETOOBIG);
    /* LIST has no body at all */
    const uint8_t list[] = {LM_MSG_FILE_LIST, 0};
    CHECK_EQ_INT(lm_file_decode(list, 1, &out), 0);
    CHECK_EQ_INT(lm_file_decode(list, 2, &out), LM_EPROTO);
}

static void test_encode_refuses(void)
{
    static const struct {
        const char *what;
        uint8_t type;
        int field;
        int rc;
    } rows[] = {
        {"size past 1 TiB", LM_MSG_FILE_OFFER, 0, LM_EINVAL},
        {"chunk not a power of two", LM_MSG_FILE_OFFER, 1, LM_EINVAL},
        {"unknown flag", LM_MSG_FILE_OFFER, 2, LM_EINVAL},
        {"recipients unsorted", LM_MSG_FILE_OFFER, 3, LM_EINVAL},
        {"empty file name", LM_MSG_FILE_OFFER, 4, LM_EINVAL},
        {"control in the sender's name", LM_MSG_FILE_OFFER, 5, LM_EINVAL},
        {"recipients over 64", LM_MSG_FILE_OFFER, 6, LM_EINVAL},
        {"ranges overlapping", LM_MSG_FILE_HAVE, 0, LM_EINVAL},
        {"ranges over 64", LM_MSG_FILE_HAVE, 1, LM_ETOOBIG},
        {"request of nothing", LM_MSG_FILE_REQUEST, 2, LM_EINVAL},
        {"chunk of 0 bytes", LM_MSG_FILE_CHUNK, 0, LM_EINVAL},
        {"chunk over 64 KiB", LM_MSG_FILE_CHUNK, 1, LM_ETOOBIG},
        {"proof too deep", LM_MSG_FILE_CHUNK, 2, LM_ETOOBIG},
        {"refuse code 0", LM_MSG_FILE_REFUSE, 0, LM_EINVAL},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        lm_file_msg m;
        file_sample(rows[i].type, &m);
        lm_file_offer *o = &m.offer;
        switch (rows[i].type * 16 + rows[i].field) {
        case LM_MSG_FILE_OFFER * 16 + 0: o->size = LM_FILE_SIZE_MAX + 1; break;
        case LM_MSG_FILE_OFFER * 16 + 1: o->chunk = 40000; break;
        case LM_MSG_FILE_OFFER * 16 + 2: o->flags = 0x80; break;
        case LM_MSG_FILE_OFFER * 16 + 3: o->to[2] = 1; break;
        case LM_MSG_FILE_OFFER * 16 + 4: o->name[0] = '\0'; break;
        case LM_MSG_FILE_OFFER * 16 + 5: strcpy(o->from_name, "a\nb"); break;
        case LM_MSG_FILE_OFFER * 16 + 6: o->nto = 65; break;
        case LM_MSG_FILE_HAVE * 16 + 0: m.ranges[1].first = 3; break;
        case LM_MSG_FILE_HAVE * 16 + 1: m.nranges = 65; break;
        case LM_MSG_FILE_REQUEST * 16 + 2: m.nranges = 0; break;
        case LM_MSG_FILE_CHUNK * 16 + 0: m.len = 0; break;
        case LM_MSG_FILE_CHUNK * 16 + 1: m.len = LM_FILE_CHUNK_MAX + 1; break;
        case LM_MSG_FILE_CHUNK * 16 + 2:
            m.nproof = LM_FILE_DEPTH_MAX + 1;
            break;
        case LM_MSG_FILE_REFUSE * 16 + 0: m.code = 0; break;
        }
        int rc = lm_file_encode(&m, buf, sizeof buf);
        if (rc != rows[i].rc)
            printf("  row '%s': rc %d, expected %d\n", rows[i].what, rc,
                   rows[i].rc);
        CHECK_EQ_INT(rc, rows[i].rc);
    }
    lm_file_msg m;
    file_sample(LM_MSG_FILE_OFFER, &m);
    CHECK_EQ_INT(lm_file_encode(&m, buf, 20), LM_ETOOBIG);
    m.type = LM_MSG_CHAT;
    CHECK_EQ_INT(lm_file_encode(&m, buf, sizeof buf), LM_EINVAL);
}

static void test_chunk_arithmetic(void)
{
    const uint32_t K64 = 64 * 1024, K16 = 16 * 1024;
    static const struct {
        uint64_t size;
        uint32_t chunk;
        uint32_t n;
        uint32_t index;
        size_t len; /* of chunk `index` */
    } rows[] = {
        {0, K64, 0, 0, 0},       /* empty: no chunks at all */
        {1, K64, 1, 0, 1},       /* one byte: one short chunk */
        {K64, K64, 1, 0, K64},   /* exactly one chunk */
        {K64 + 1, K64, 2, 1, 1}, /* the last chunk is partial */
        {K64 + 1, K64, 2, 2, 0}, /* past the end */
        {3 * K16 - 5, K16, 3, 2, K16 - 5},
        {4ull << 30, K64, 65536, 65535, K64}, /* 4 GiB */
        {LM_FILE_SIZE_MAX, K16, LM_FILE_CHUNKS_MAX, LM_FILE_CHUNKS_MAX - 1,
         K16},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        CHECK(lm_file_params_ok(rows[i].size, rows[i].chunk));
        CHECK_EQ_INT(lm_file_nchunks(rows[i].size, rows[i].chunk), rows[i].n);
        CHECK_EQ_INT(
            lm_file_chunk_len(rows[i].size, rows[i].chunk, rows[i].index),
            rows[i].len);
    }
    CHECK(!lm_file_params_ok(LM_FILE_SIZE_MAX + 1, K64));
    CHECK(!lm_file_params_ok(10, 4096));
    CHECK(!lm_file_params_ok(10, 2 * K64));
    CHECK(!lm_file_params_ok(10, K64 - 1));
    CHECK(lm_file_params_ok(10, 32 * 1024));
    CHECK_EQ_INT(lm_file_nchunks(10, 1000), 0); /* bad params: nothing */
    CHECK_EQ_INT(LM_FILE_CHUNKS_MAX, 1u << 26);
}

static void test_ranges(void)
{
    static const struct {
        lm_file_range r[3];
        size_t n;
        bool ok;
        uint32_t prefix;
    } rows[] = {
        {{{0, 0}}, 0, true, 0},
        {{{0, 5}}, 1, true, 5},
        {{{3, 5}}, 1, true, 0},
        {{{0, 5}, {6, 1}}, 2, true, 5},
        {{{0, 5}, {5, 1}}, 2, false, 5}, /* touching */
        {{{0, 5}, {4, 1}}, 2, false, 5}, /* overlapping */
        {{{6, 1}, {0, 5}}, 2, false, 0}, /* not ascending */
        {{{0, 0}}, 1, false, 0},         /* empty */
        {{{LM_FILE_CHUNKS_MAX - 1, 1}}, 1, true, 0},
        {{{LM_FILE_CHUNKS_MAX - 1, 2}}, 1, false, 0},
        {{{UINT32_MAX, UINT32_MAX}}, 1, false, 0},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        CHECK_EQ_INT(lm_file_ranges_ok(rows[i].r, rows[i].n), rows[i].ok);
        CHECK_EQ_INT(lm_file_ranges_prefix(rows[i].r, rows[i].n),
                     rows[i].prefix);
    }
    lm_file_range many[LM_FILE_RANGES_MAX + 1];
    for (size_t i = 0; i < LM_FILE_RANGES_MAX + 1; i++)
        many[i] = (lm_file_range){(uint32_t)(2 * i), 1};
    CHECK(lm_file_ranges_ok(many, LM_FILE_RANGES_MAX));
    CHECK(!lm_file_ranges_ok(many, LM_FILE_RANGES_MAX + 1));
}

static void test_ids_and_words(void)
{
    uint8_t id[LM_FILE_ID_LEN], back[LM_FILE_ID_LEN];
    for (size_t i = 0; i < sizeof id; i++)
        id[i] = (uint8_t)(i * 9 + 0xf0);
    char hex[65];
    lm_file_id_hex(id, hex);
    CHECK_EQ_INT(strlen(hex), 64);
    CHECK_EQ_INT(lm_file_id_parse(hex, back), 0);
    CHECK(memcmp(id, back, sizeof id) == 0);
    static const char zero[] =
        "0000000000000000000000000000000000000000000000000000000000000000";
    static const struct {
        const char *s;
        int rc;
    } rows[] = {
        {zero, 0},
        {"", LM_EINVAL},
        {"00", LM_EINVAL},
        {"000000000000000000000000000000000000000000000000000000000000000",
         LM_EINVAL}, /* 63 digits */
        {"00000000000000000000000000000000000000000000000000000000000000000",
         LM_EINVAL}, /* 65 */
        {"A000000000000000000000000000000000000000000000000000000000000000",
         LM_EINVAL}, /* upper case */
        {"../00000000000000000000000000000000000000000000000000000000000000",
         LM_EINVAL},
        {"000000000000000000000000000000000000000000000000000000000000000g",
         LM_EINVAL},
        {NULL, LM_EINVAL},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        CHECK_EQ_INT(lm_file_id_parse(rows[i].s, back), rows[i].rc);
    CHECK_EQ_STR(lm_file_refuse_word(LM_FILE_TOO_BIG), "too_big");
    CHECK_EQ_STR(lm_file_refuse_word(LM_FILE_DISK_FULL), "disk_full");
    CHECK_EQ_STR(lm_file_refuse_word(LM_FILE_NOT_ALLOWED), "not_allowed");
    CHECK_EQ_STR(lm_file_refuse_word(0), "bad_code");
    CHECK_EQ_STR(lm_file_refuse_word(200), "bad_code");
}

int main(void)
{
    RUN(test_round_trips);
    RUN(test_truncation_and_trailing);
    RUN(test_bad_fields);
    RUN(test_encode_refuses);
    RUN(test_chunk_arithmetic);
    RUN(test_ranges);
    RUN(test_ids_and_words);
    return check_report();
}
