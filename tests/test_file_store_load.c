/* test_file_store_load.c - tests for core/files/store_load.c and
 * store_index.c: a restart that resumes a partial where it stopped, a
 * partial whose bytes rotted on disk and a complete file that did, a
 * corrupt, torn or oversized index refused and rebuilt, an index that
 * lies about the files beside it, a crash between the rename and the
 * index, and the index's codec and its refusals. In temporary folders
 * under /tmp, removed after. */
#include <fcntl.h>

#include "files/store_index.h"
#include "store_check.h"

static void test_restart_resume(void)
{
    fresh("restart");
    lm_store *st = open_store(0, 0, NULL);
    src done, part;
    src_make(&done, 4 * K16, K16, 8);
    src_make(&part, 6 * K16 + 77, K16, 9);
    lm_store_blob b;
    CHECK_EQ_INT(src_begin(st, &done, &b, NULL), 0);
    for (uint32_t i = 0; i < done.n; i++)
        CHECK_EQ_INT(src_put(st, &done, i, &b, NULL), 0);
    CHECK_EQ_INT(src_begin(st, &part, &b, NULL), 0);
    CHECK_EQ_INT(src_put(st, &part, 0, &b, NULL), 0);
    CHECK_EQ_INT(src_put(st, &part, 1, &b, NULL), 0);
    CHECK_EQ_INT(src_put(st, &part, 3, &b, NULL), 0);
    lm_file_offer o = offer_of(&done, 5, "kept.bin");
    CHECK_EQ_INT(lm_store_add_offer(st, &o), 0);
    lm_file_offer op = offer_of(&part, 6, "half.bin");
    CHECK_EQ_INT(lm_store_add_offer(st, &op), 0);
    CHECK_EQ_INT(lm_store_sync(st), 0);
    lm_store_close(st);

    lm_store_report rep;
    st = open_store(0, 0, &rep);
    CHECK(!rep.rebuilt);
    CHECK_EQ_INT(rep.files, 2);
    CHECK_EQ_INT(rep.dropped, 0);
    CHECK_EQ_INT(rep.chunks_recut, 0);
    CHECK_EQ_INT(lm_store_info(st, part.id, &b), 0);
    CHECK(!b.complete && b.held.next == 2 && b.held.bits == 2); /* 0,1 + 3 */
    lm_file_offer got;
    CHECK(lm_store_offer_at(st, 1, &got) && strcmp(got.name, "half.bin") == 0);
    CHECK_EQ_INT(read_back(st, &done), 0);
    /* resume from where it stopped: the running SHA-256 was rebuilt */
    CHECK_EQ_INT(src_begin(st, &part, &b, NULL), 0);
    CHECK(b.held.next == 2);
    for (uint32_t i = 2; i < part.n; i++)
        CHECK_EQ_INT(src_put(st, &part, i, &b, NULL), 0);
    CHECK(b.complete);
    CHECK_EQ_INT(read_back(st, &part), 0);
    lm_store_close(st);
    src_free(&done);
    src_free(&part);
}

/* Bytes of a partial changed on disk while the store was closed. */
static void test_partial_rot(void)
{
    fresh("rot");
    lm_store *st = open_store(0, 0, NULL);
    src s;
    src_make(&s, 8 * K16, K16, 10);
    lm_store_blob b;
    CHECK_EQ_INT(src_begin(st, &s, &b, NULL), 0);
    for (uint32_t i = 0; i < 5; i++)
        CHECK_EQ_INT(src_put(st, &s, i, &b, NULL), 0);
    CHECK_EQ_INT(src_put(st, &s, 6, &b, NULL), 0);
    lm_store_close(st);
    char name[80], p[600];
    hexname(s.id, ".part", name);
    snprintf(p, sizeof p, "%s/%s", dir, name);
    int fd = open(p, O_WRONLY);
    CHECK(fd >= 0 && pwrite(fd, "X", 1, 2 * K16 + 9) == 1);
    close(fd);
    lm_store_report rep;
    st = open_store(0, 0, &rep);
    CHECK_EQ_INT(lm_store_info(st, s.id, &b), 0);
    CHECK_EQ_INT(b.held.next, 2); /* cut at the chunk that failed */
    CHECK(b.held.bits == 0);
    CHECK_EQ_INT(rep.chunks_recut, 4); /* 2, 3, 4 and 6 to fetch again */
    for (uint32_t i = 2; i < s.n; i++)
        CHECK_EQ_INT(src_put(st, &s, i, &b, NULL), 0);
    CHECK(b.complete);
    CHECK_EQ_INT(read_back(st, &s), 0);
    /* a complete file that rots is never served */
    hexname(s.id, "", name);
    snprintf(p, sizeof p, "%s/%s", dir, name);
    lm_store_close(st);
    fd = open(p, O_WRONLY);
    CHECK(fd >= 0 && pwrite(fd, "Y", 1, 5 * K16) == 1);
    close(fd);
    st = open_store(0, 0, &rep);
    uint8_t buf[K16];
    size_t len, np;
    lm_hash proof[LM_FILE_DEPTH_MAX];
    CHECK_EQ_INT(lm_store_read(st, s.id, 4, buf, sizeof buf, &len, proof, &np),
                 0);
    CHECK_EQ_INT(lm_store_read(st, s.id, 5, buf, sizeof buf, &len, proof, &np),
                 LM_EAUTH);
    CHECK_EQ_INT(lm_store_info(st, s.id, &b), LM_ENOTFOUND);
    CHECK(!exists(name));
    lm_store_close(st);
    src_free(&s);
}

static void test_corrupt_index(void)
{
    static uint8_t ix[1 << 16];
    src done, part;
    /* 64 KiB chunks: what a rebuilt store picks, so the root is the same */
    src_make(&done, 3 * LM_FILE_CHUNK_MAX + 5, LM_FILE_CHUNK_MAX, 11);
    src_make(&part, 4 * K16, K16, 12);
    static const struct {
        const char *what;
        int how; /* 0 flip a byte, 1 cut in half, 2 garbage, 3 huge */
        const char *why;
    } rows[] = {
        {"a flipped byte", 0, "digest mismatch"},
        {"torn in half", 1, "digest mismatch"},
        {"not an index", 2, "bad magic"},
        {"larger than any index", 3, "larger than any index"},
    };
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        fresh("corrupt");
        fill(&done, &part);
        size_t n = read_file("index", ix, sizeof ix);
        CHECK(n > 100);
        if (rows[r].how == 0) {
            ix[n / 2] ^= 0x40;
            write_file("index", ix, n);
        } else if (rows[r].how == 1) {
            write_file("index", ix, n / 2);
        } else if (rows[r].how == 2) {
            {
                static const char text[] =
                    "hello, world: this is not an index of anything at all\n";
                write_file("index", text, sizeof text - 1);
            }
        } else {
            size_t big = lm_store_index_max() + 1;
            uint8_t *huge = calloc(1, big);
            write_file("index", huge, big);
            free(huge);
        }
        lm_store_report rep;
        lm_store *st = open_store(0, 0, &rep);
        CHECK(rep.rebuilt);
        if (!strstr(rep.why, rows[r].why))
            printf("  '%s': why \"%s\"\n", rows[r].what, rep.why);
        CHECK(strstr(rep.why, rows[r].why) != NULL);
        CHECK(exists("index.bad"));
        CHECK_EQ_INT(rep.adopted, 1); /* the complete file, checked */
        lm_store_blob b;
        CHECK_EQ_INT(lm_store_info(st, done.id, &b), 0);
        CHECK(b.complete && memcmp(b.root, done.root, 32) == 0);
        CHECK_EQ_INT(read_back(st, &done), 0);
        /* the partial is gone, and so are the offers */
        CHECK_EQ_INT(lm_store_info(st, part.id, &b), LM_ENOTFOUND);
        char name[80];
        hexname(part.id, ".part", name);
        CHECK(!exists(name));
        lm_file_offer o;
        CHECK(!lm_store_offer_at(st, 0, &o));
        lm_store_close(st);
        /* the index written at open is good again */
        st = open_store(0, 0, &rep);
        CHECK(!rep.rebuilt);
        lm_store_close(st);
    }
    src_free(&done);
    src_free(&part);
}

/* An index that parses but lies about the files beside it. */
static void test_lying_index(void)
{
    fresh("lying");
    src done, part;
    src_make(&done, 3 * K16, K16, 13);
    src_make(&part, 4 * K16, K16, 14);
    fill(&done, &part);
    /* a record for a file that is not there, and one whose size is wrong */
    lm_store_rec recs[3];
    lm_file_offer offers[1];
    memset(recs, 0, sizeof recs);
    memcpy(recs[0].id, done.id, 32);
    recs[0].size = done.size + 1; /* wrong */
    recs[0].chunk = K16;
    recs[0].complete = true;
    recs[0].held.next = lm_file_nchunks(done.size + 1, K16);
    memcpy(recs[1].id, part.id, 32);
    recs[1].size = part.size;
    recs[1].chunk = K16;
    memcpy(recs[1].root, part.root, 32);
    recs[1].held.next = 1;
    memset(recs[2].id, 0x77, 32); /* nothing on disk */
    recs[2].size = 10;
    recs[2].chunk = K16;
    recs[2].complete = true;
    recs[2].held.next = 1;
    lm_store_index ix = {3, recs, 0, offers};
    lm_store_index_sort(&ix);
    static uint8_t buf[1 << 16];
    int n = lm_store_index_encode(&ix, buf, sizeof buf);
    CHECK(n > 0);
    write_file("index", buf, (size_t)n);
    lm_store_report rep;
    lm_store *st = open_store(0, 0, &rep);
    CHECK(!rep.rebuilt);
    lm_store_blob b;
    CHECK_EQ_INT(lm_store_info(st, part.id, &b), 0);
    CHECK_EQ_INT(b.held.next, 1);
    uint8_t ghost[32];
    memset(ghost, 0x77, 32);
    CHECK_EQ_INT(lm_store_info(st, ghost, &b), LM_ENOTFOUND);
    /* the complete file's record lied, its content did not: adopted */
    CHECK_EQ_INT(lm_store_info(st, done.id, &b), 0);
    CHECK(b.size == done.size);
    CHECK_EQ_INT(rep.adopted, 1);
    CHECK(rep.dropped >= 2);
    lm_store_close(st);
    src_free(&done);
    src_free(&part);
}

/* The process died after the rename and before the index said so. */
static void test_crash_after_rename(void)
{
    fresh("crash");
    static uint8_t before[1 << 16];
    src s;
    src_make(&s, 3 * K16 + 3, K16, 15);
    lm_store *st = open_store(0, 0, NULL);
    lm_store_blob b;
    CHECK_EQ_INT(src_begin(st, &s, &b, NULL), 0);
    for (uint32_t i = 0; i + 1 < s.n; i++)
        CHECK_EQ_INT(src_put(st, &s, i, &b, NULL), 0);
    CHECK_EQ_INT(lm_store_sync(st), 0);
    size_t n = read_file("index", before, sizeof before);
    CHECK_EQ_INT(src_put(st, &s, s.n - 1, &b, NULL), 0);
    CHECK(b.complete);
    lm_store_close(st);
    write_file("index", before, n); /* the index from before the rename */
    lm_store_report rep;
    st = open_store(0, 0, &rep);
    CHECK(!rep.rebuilt);
    CHECK_EQ_INT(rep.dropped, 0);
    CHECK_EQ_INT(lm_store_info(st, s.id, &b), 0);
    CHECK(b.complete);
    CHECK_EQ_INT(read_back(st, &s), 0);
    lm_store_close(st);
    src_free(&s);
}

static void test_index_codec(void)
{
    lm_store_rec recs[2];
    lm_file_offer offers[2];
    memset(recs, 0, sizeof recs);
    memset(offers, 0, sizeof offers);
    for (int i = 0; i < 2; i++) {
        memset(recs[i].id, 0x10 * (i + 1), 32);
        recs[i].size = 3 * K16;
        recs[i].chunk = K16;
        recs[i].complete = i == 0;
        recs[i].held = i == 0 ? (lm_chunkset){3, 0} : (lm_chunkset){1, 2};
    }
    memcpy(offers[0].id, recs[1].id, 32);
    offers[0].size = 3 * K16;
    offers[0].chunk = K16;
    strcpy(offers[0].from_name, "bob");
    strcpy(offers[0].name, "x");
    lm_store_index ix = {2, recs, 1, offers};
    static uint8_t buf[1 << 14], again[1 << 14];
    int n = lm_store_index_encode(&ix, buf, sizeof buf);
    CHECK(n > 0);
    lm_store_rec rb[LM_STORE_BLOBS_MAX];
    static lm_file_offer ob[LM_STORE_OFFERS_MAX];
    lm_store_index back = {0, rb, 0, ob};
    const char *why;
    CHECK_EQ_INT(lm_store_index_decode(buf, (size_t)n, &back, &why), 0);
    CHECK_EQ_INT(back.nblobs, 2);
    CHECK_EQ_INT(back.noffers, 1);
    CHECK_EQ_INT(lm_store_index_encode(&back, again, sizeof again), n);
    CHECK(memcmp(buf, again, (size_t)n) == 0);
    /* records the decoder refuses, each re-signed so only the rule bites */
    static const struct {
        int what;
        const char *why;
    } rows[] = {
        {0, "ascending"},     {1, "out of bounds"}, {2, "out of bounds"},
        {3, "does not hold"}, {4, "out of bounds"},
    };
    for (size_t r = 0; r < sizeof rows / sizeof rows[0]; r++) {
        lm_store_rec rc2[2] = {recs[0], recs[1]};
        lm_file_offer oc = offers[0];
        switch (rows[r].what) {
        case 0: memcpy(rc2[1].id, rc2[0].id, 32); break;  /* duplicate id */
        case 1: rc2[1].held = (lm_chunkset){3, 0}; break; /* partial: all */
        case 2: rc2[0].held = (lm_chunkset){2, 0}; break; /* complete: not */
        case 3: memset(oc.id, 0x99, 32); break;
        case 4: rc2[0].chunk = 1000; break;
        }
        /* the encoder refuses these as well: write them by hand */
        lm_writer w;
        lm_wr_init(&w, buf, sizeof buf);
        lm_wr_bytes(&w, LM_STORE_MAGIC, 8);
        lm_wr_u32(&w, 2);
        for (int i = 0; i < 2; i++) {
            lm_wr_bytes(&w, rc2[i].id, 32);
            lm_wr_u64(&w, rc2[i].size);
            lm_wr_u32(&w, rc2[i].chunk);
            lm_wr_bytes(&w, rc2[i].root, 32);
            lm_wr_u8(&w, rc2[i].complete);
            lm_wr_u32(&w, rc2[i].held.next);
            lm_wr_u64(&w, rc2[i].held.bits);
        }
        lm_wr_u32(&w, 1);
        lm_file_offer_write(&w, &oc);
        int len = lm_wr_done(&w);
        CHECK(len > 0);
        lm_sha256_buf(buf, (size_t)len, buf + len);
        int rc = lm_store_index_decode(buf, (size_t)len + 32, &back, &why);
        CHECK_EQ_INT(rc, LM_EPROTO);
        CHECK(why && strstr(why, rows[r].why));
        CHECK_EQ_INT(back.nblobs, 0);
    }
}

int main(void)
{
    if (!mkdtemp(top)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_restart_resume);
    RUN(test_partial_rot);
    RUN(test_corrupt_index);
    RUN(test_lying_index);
    RUN(test_crash_after_rename);
    RUN(test_index_codec);
    remove_tree(top);
    return check_report();
}
