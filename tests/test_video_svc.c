/* test_video_svc.c - the video service's pure pieces: the MJPEG file
 * source's frame index (ui/dev/camfile.c) as a table of byte strings and
 * on real JPEGs, the size a viewer's box gets (video_fit), and the test
 * pattern painted in two steps as the camera does. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <turbojpeg.h>
#include <unistd.h>

#include "check.h"
#include "dev/camera.h"
#include "err.h"
#include "video/pattern.h"
#include "video/video_impl.h"

/* ---- the index, as a table --------------------------------------------- */

/* A tiny JPEG-shaped byte string: SOI, APP0 (4 bytes), SOS (2 bytes), some
 * entropy bytes with a stuffed 0xFF00 and a restart marker, EOI: 20. */
#define J "\xff\xd8" "\xff\xe0\x00\x04\x01\x02" "\xff\xda\x00\x04\x05\x06" \
          "\x11\xff\x00\x22\xff\xd0\x33" "\xff\xd9"
#define JLEN 23

typedef struct index_case {
    const char *name;
    const char *bytes;
    size_t len;
    size_t n;
    size_t off[3], flen[3];
} index_case;

static const index_case index_cases[] = {
    {"one", J, JLEN, 1, {0}, {JLEN}},
    {"two", J J, 2 * JLEN, 2, {0, JLEN}, {JLEN, JLEN}},
    {"junk before and between", "ab" J "xyz" J, 2 * JLEN + 5, 2,
     {2, JLEN + 5}, {JLEN, JLEN}},
    {"last cut short", J J, 2 * JLEN - 1, 1, {0}, {JLEN}},
    {"fill bytes before a marker", "\xff\xd8\xff\xff\xff\xd9", 6, 1, {0},
     {6}},
    {"segment longer than the file", "\xff\xd8\xff\xe0\x40\x00\x01\xff\xd9",
     9, 0, {0}, {0}},
    {"segment length under 2", "\xff\xd8\xff\xe0\x00\x01\xff\xd9", 8, 0,
     {0}, {0}},
    {"SOI inside a frame starts again", "\xff\xd8\xff\xd8\xff\xd9", 6, 1,
     {2}, {4}},
    {"no SOI", "\x00\x01\x02\x03\x04", 5, 0, {0}, {0}},
    {"empty", "", 0, 0, {0}, {0}},
    {"entropy data with no end", "\xff\xd8\xff\xda\x00\x02\x11\x22", 8, 0,
     {0}, {0}},
};

static void test_index_table(void)
{
    for (size_t i = 0; i < sizeof index_cases / sizeof index_cases[0]; i++) {
        const index_case *c = &index_cases[i];
        size_t off[4], flen[4];
        size_t n = lm_camfile_index((const uint8_t *)c->bytes, c->len, off,
                                    flen, 4);
        if (n != c->n)
            fprintf(stderr, "case '%s'\n", c->name);
        CHECK_EQ_INT(n, c->n);
        for (size_t k = 0; k < n && k < c->n; k++) {
            CHECK_EQ_INT(off[k], c->off[k]);
            CHECK_EQ_INT(flen[k], c->flen[k]);
        }
    }
    /* the cap on frames holds */
    size_t off[1], flen[1];
    CHECK_EQ_INT(lm_camfile_index((const uint8_t *)J J J, 3 * JLEN, off,
                                  flen, 1), 1);
}

/* ---- the file source on real JPEGs ------------------------------------- */

static void test_file_source(void)
{
    char path[] = "/tmp/test_video_svc_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    tjhandle tj = tjInitCompress();
    lm_image im;
    CHECK_EQ_INT(lm_image_alloc(&im, 64, 48), 0);
    size_t lens[3];
    for (int f = 0; f < 3; f++) {
        lm_pattern_paint(&im, (uint32_t)f, 1000u + (uint64_t)f);
        const unsigned char *planes[3] = {im.plane[0], im.plane[1],
                                          im.plane[2]};
        int strides[3] = {(int)im.stride[0], (int)im.stride[1],
                          (int)im.stride[2]};
        unsigned char *jpeg = NULL;
        unsigned long len = 0;
        CHECK_EQ_INT(tjCompressFromYUVPlanes(tj, planes, 64, strides, 48,
                                             TJSAMP_420, &jpeg, &len, 90, 0),
                     0);
        lens[f] = len;
        CHECK_EQ_INT(write(fd, jpeg, len), (long long)len);
        tjFree(jpeg);
    }
    close(fd);
    tjDestroy(tj);
    lm_image_release(&im);

    lm_video_source src;
    char why[256];
    char spec[64];
    snprintf(spec, sizeof spec, "file:%s@25", path);
    CHECK_EQ_INT(lm_camera_open(spec, &src, why, sizeof why), 0);
    CHECK_EQ_INT(src.fps, 25);
    CHECK(!src.ops->paced);
    tjhandle dj = tjInitDecompress();
    for (int k = 0; k < 7; k++) { /* loops: 0 1 2 0 1 2 0 */
        lm_video_frame f;
        CHECK_EQ_INT(src.ops->read(src.dev, &f), 0);
        CHECK_EQ_INT(f.kind, LM_VFRAME_JPEG);
        CHECK_EQ_INT(f.len, lens[k % 3]);
        int w = 0, h = 0, sub, cs;
        CHECK_EQ_INT(tjDecompressHeader3(dj, f.jpeg, f.len, &w, &h, &sub,
                                         &cs), 0);
        CHECK_EQ_INT(w, 64);
        CHECK_EQ_INT(h, 48);
    }
    tjDestroy(dj);
    src.ops->close(src.dev);

    /* a file with no JPEG in it is refused, with a reason */
    fd = open(path, O_WRONLY | O_TRUNC);
    CHECK(write(fd, "not a jpeg", 10) == 10);
    close(fd);
    why[0] = '\0';
    CHECK_EQ_INT(lm_camera_open(spec, &src, why, sizeof why), LM_EPROTO);
    CHECK(why[0] != '\0');
    unlink(path);
    CHECK(lm_camera_open("file:/nonexistent/x.mjpeg", &src, why,
                         sizeof why) == LM_EIO);
    CHECK(lm_camera_open("bogus", &src, why, sizeof why) == LM_EINVAL);
}

/* ---- the skip a sender sets per viewer ---------------------------------- */

static void test_band_skip(void)
{
    lm_video_msg m = {.type = LM_MSG_VIDEO_BAND};
    lm_video_band_msg *b = &m.u.band;
    b->frame = 9;
    b->w = 320;
    b->h = 180;
    b->count = 1;
    b->bw = 320;
    b->bh = 176;
    b->quality = 50;
    b->flags = LM_VIDEO_BAND_TABLES;
    b->len = 3;
    uint8_t buf[LM_VIDEO_WIRE_MAX];
    int len = lm_video_encode(&m, buf, sizeof buf);
    CHECK(len > 0);
    static const struct {
        unsigned set, got;
    } rows[] = {{0, 0}, {1, 1}, {2, 2}, {3, 3}, {4, 3}, {1000, 3}};
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        CHECK_EQ_INT(lm_video_band_set_skip(buf, (size_t)len, rows[i].set), 0);
        lm_video_msg d;
        CHECK_EQ_INT(lm_video_decode(buf, (size_t)len, &d), 0);
        CHECK_EQ_INT(lm_video_band_skip(d.u.band.flags), rows[i].got);
        /* the other flags stay */
        CHECK(d.u.band.flags & LM_VIDEO_BAND_TABLES);
    }
    CHECK_EQ_INT(lm_video_band_set_skip(buf, 10, 1), LM_EINVAL);
    buf[0] = LM_MSG_VIDEO_ASK;
    CHECK_EQ_INT(lm_video_band_set_skip(buf, (size_t)len, 1), LM_EINVAL);
}

/* ---- a viewer's box ------------------------------------------------------ */

static void test_fit(void)
{
    static const struct {
        unsigned cw, ch, bw, bh, w, h;
    } rows[] = {
        {640, 360, 320, 180, 320, 180},   /* a tile */
        {640, 360, 1920, 1080, 640, 360}, /* never above the camera */
        {640, 360, 640, 360, 640, 360},
        {640, 360, 320, 320, 320, 180},   /* a square box: width decides */
        {640, 360, 1000, 90, 160, 90},    /* a strip: height decides */
        {640, 480, 320, 180, 240, 180},   /* 4:3 in a 16:9 box */
        {640, 360, 100, 100, 100, 56},    /* 56.25 rounded down, even */
        {640, 360, 16, 16, 16, 16},       /* the floor */
        {1920, 1080, 322, 182, 322, 180}, /* 181.1 -> 180, even */
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        uint16_t w, h;
        video_fit(rows[i].cw, rows[i].ch, rows[i].bw, rows[i].bh, &w, &h);
        CHECK_EQ_INT(w, rows[i].w);
        CHECK_EQ_INT(h, rows[i].h);
        CHECK(lm_video_size_ok(w, h));
    }
}

/* ---- the pattern in two steps ------------------------------------------- */

static void test_pattern_steps(void)
{
    lm_image a, b;
    CHECK_EQ_INT(lm_image_alloc(&a, 320, 180), 0);
    CHECK_EQ_INT(lm_image_alloc(&b, 320, 180), 0);
    CHECK_EQ_INT(lm_pattern_paint(&a, 77, 123456789), 0);
    CHECK_EQ_INT(lm_pattern_paint_picture(&b, 77), 0);
    CHECK_EQ_INT(lm_pattern_paint_stripes(&b, 77, 123456789), 0);
    for (int p = 0; p < 3; p++) {
        unsigned rows = p ? lm_image_ch(a.h) : a.h;
        unsigned cols = p ? lm_image_cw(a.w) : a.w;
        for (unsigned y = 0; y < rows; y++)
            CHECK(memcmp(a.plane[p] + y * a.stride[p],
                         b.plane[p] + y * b.stride[p], cols) == 0);
    }
    uint32_t n;
    uint64_t t;
    CHECK_EQ_INT(lm_pattern_read(&b, &n, &t), 0);
    CHECK_EQ_INT(n, 77);
    CHECK_EQ_INT(t, 123456789);
    lm_image small = {0};
    CHECK_EQ_INT(lm_pattern_paint_stripes(&small, 1, 1), LM_EINVAL);
    lm_image_release(&a);
    lm_image_release(&b);
}

int main(void)
{
    RUN(test_index_table);
    RUN(test_file_source);
    RUN(test_fit);
    RUN(test_band_skip);
    RUN(test_pattern_steps);
    return check_report();
}
