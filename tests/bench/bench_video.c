/* bench_video.c - what video's codec work costs: a benchmark, not a test.
 *
 * On the same 640x360 frames (an MJPEG clip given as an argument, else
 * the test pattern, which moves), it prints per frame: JPEG encode and
 * decode of the whole frame and as bands (band.h) at quality 50, 75 and
 * 90, the bytes and packets, the kbit/s of one stream at 30 fps at
 * 640x360, 320x180 and 160x90 (on the wire: band header, seal, ENet and
 * UDP/IPv4 headers counted), the downscale and the scaled decodes, and
 * libjpeg-turbo's own tjbench on the first frame in the same run as the
 * baseline (if tjbench is on the PATH) on the middle frame, with our time
 * on that frame over its time.
 * From those it works out the CPU of one node decoding 9 streams and the
 * LAN traffic of 10 people each watching the other 9.
 *
 *   bench_video [--frames N] [--seconds S] [CLIP.mjpeg]
 *
 * Every loop is bounded: N frames (default 60) each measurement, repeated
 * until S seconds (default 0.3) have passed or 50 rounds. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <turbojpeg.h>
#include <unistd.h>

#include "video/band.h"
#include "video/camfmt.h"
#include "video/pattern.h"

#define W 640
#define H 360
#define MAX_FRAMES 300
#define MAX_CLIP (256u << 20)
/* Bytes on the wire per band packet besides its JPEG: the BAND header,
 * the seal (type byte, counter, tag), ENet's protocol header and
 * unsequenced command (measured: 1372 payload -> 1382 datagram), and
 * UDP over IPv4 (8 + 20). */
#define PACKET_OVERHEAD (LM_VIDEO_BAND_HEAD + 1 + LM_SEAL_OVERHEAD + 10 + 28)

static lm_image frames[MAX_FRAMES];
static int nframes = 60;
static double min_seconds = 0.3;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the frames -------------------------------------------------------- */

static unsigned be16(const uint8_t *p)
{
    return (unsigned)p[0] << 8 | p[1];
}

/* The end of the JPEG starting at p (an SOI), or 0 when it is cut short:
 * markers walked to the SOS, then the first EOI after it (a scan holds
 * 0xFF only before 0x00 or a restart marker). */
static size_t jpeg_end(const uint8_t *p, size_t n)
{
    size_t i = 2;
    while (n - i >= 4 && p[i] == 0xff) {
        uint8_t m = p[i + 1];
        size_t seg = be16(p + i + 2);
        if (seg < 2 || seg > n - i - 2)
            return 0;
        i += 2 + seg;
        if (m == 0xda) {
            for (; n - i >= 2; i++)
                if (p[i] == 0xff && p[i + 1] == 0xd9)
                    return i + 2;
            return 0;
        }
    }
    return 0;
}

/* One JPEG into frames[k] as I420 (4:2:0 directly, 4:2:2 converted). */
static bool load_jpeg(tjhandle tj, const uint8_t *p, size_t n, int k)
{
    int w, h, ss, cs;
    if (tjDecompressHeader3(tj, p, n, &w, &h, &ss, &cs) != 0 || w != W ||
        h != H || (ss != TJSAMP_420 && ss != TJSAMP_422))
        return false;
    lm_image *im = &frames[k];
    if (lm_image_alloc(im, W, H) != 0)
        return false;
    static uint8_t y[W * H], u[W / 2 * H], v[W / 2 * H];
    unsigned char *planes[3] = {y, u, v};
    int strides[3] = {W, W / 2, W / 2};
    if (tjDecompressToYUVPlanes(tj, p, n, planes, W, strides, H, 0) != 0)
        return false;
    if (ss == TJSAMP_420) {
        memcpy(im->plane[0], y, sizeof y);
        memcpy(im->plane[1], u, W / 2 * H / 2);
        memcpy(im->plane[2], v, W / 2 * H / 2);
        return true;
    }
    const uint8_t *cp[3] = {y, u, v};
    const size_t cs3[3] = {W, W / 2, W / 2};
    return lm_camfmt_i422_to_i420(cp, cs3, W, H, im) == 0;
}

static int load_clip(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        return -1;
    }
    uint8_t *buf = malloc(MAX_CLIP);
    size_t n = buf ? fread(buf, 1, MAX_CLIP, f) : 0;
    fclose(f);
    tjhandle tj = tjInitDecompress();
    int k = 0;
    for (size_t i = 0; buf && i + 4 <= n && k < nframes;) {
        if (buf[i] != 0xff || buf[i + 1] != 0xd8) {
            i++;
            continue;
        }
        size_t len = jpeg_end(buf + i, n - i);
        if (!len)
            break;
        if (load_jpeg(tj, buf + i, len, k))
            k++;
        i += len;
    }
    tjDestroy(tj);
    free(buf);
    return k;
}

static int make_pattern(void)
{
    for (int k = 0; k < nframes; k++) {
        if (lm_image_alloc(&frames[k], W, H) != 0)
            return -1;
        lm_pattern_paint(&frames[k], (uint32_t)k, (uint64_t)k * 33333);
    }
    return nframes;
}

/* ---- measurements ------------------------------------------------------ */

typedef struct cost {
    double enc_ms, dec_ms; /* per frame */
    double bytes, packets; /* per frame: JPEG bytes, packets */
    double splits;         /* bands split because they came out too big */
} cost;

/* Whole frames: one tjCompressFromYUVPlanes and one decode each. */
static cost whole(const lm_image *src, int n, int q)
{
    tjhandle enc = tjInitCompress(), dec = tjInitDecompress();
    unsigned long cap = tjBufSize(W, H, TJSAMP_420);
    unsigned char *jpg = tjAlloc((int)cap);
    static uint8_t y[W * H], u[W * H / 4], v[W * H / 4];
    unsigned char *out[3] = {y, u, v};
    int strides[3] = {W, W / 2, W / 2};
    cost c = {0};
    double te = 0, td = 0;
    long done = 0, bytes = 0;
    for (int round = 0; round < 50 && te + td < min_seconds; round++)
        for (int k = 0; k < n; k++, done++) {
            const unsigned char *in[3] = {src[k].plane[0], src[k].plane[1],
                                          src[k].plane[2]};
            unsigned long size = cap;
            double t0 = now_s();
            tjCompressFromYUVPlanes(enc, in, W, strides, H, TJSAMP_420, &jpg,
                                    &size, q, TJFLAG_NOREALLOC);
            double t1 = now_s();
            tjDecompressToYUVPlanes(dec, jpg, size, out, W, strides, H, 0);
            td += now_s() - t1;
            te += t1 - t0;
            bytes += (long)size;
        }
    c.enc_ms = te * 1e3 / (double)done;
    c.dec_ms = td * 1e3 / (double)done;
    c.bytes = (double)bytes / (double)done;
    c.packets = 1;
    tjFree(jpg);
    tjDestroy(enc);
    tjDestroy(dec);
    return c;
}

/* As bands: lm_band_encode, then every band decoded at 1/div. */
static cost bands(const lm_image *src, int n, int q, unsigned div)
{
    lm_band_enc *e = lm_band_enc_new();
    lm_band_dec *d = lm_band_dec_new();
    unsigned w = src[0].w, h = src[0].h;
    lm_image out;
    lm_image_alloc(&out, lm_band_scaled(w, div), lm_band_scaled(h, div));
    const lm_band *b;
    lm_band_encode(e, &src[0], q, 0, &b); /* learn the band height */
    cost c = {0};
    double te = 0, td = 0;
    long done = 0, bytes = 0, packets = 0;
    for (int round = 0; round < 50 && te + td < min_seconds; round++)
        for (int k = 0; k < n; k++, done++) {
            double t0 = now_s();
            int nb = lm_band_encode(e, &src[k], q, 0, &b);
            double t1 = now_s();
            for (int i = 0; i < nb; i++) {
                lm_band_decode(d, &b[i], w, h, div, &out);
                bytes += (long)b[i].len;
            }
            td += now_s() - t1;
            te += t1 - t0;
            packets += nb;
        }
    c.enc_ms = te * 1e3 / (double)done;
    c.dec_ms = td * 1e3 / (double)done;
    c.bytes = (double)bytes / (double)done;
    c.packets = (double)packets / (double)done;
    lm_band_stats st;
    lm_band_enc_stats(e, &st);
    c.splits = (double)st.splits / (double)st.frames;
    lm_image_release(&out);
    lm_band_enc_free(e);
    lm_band_dec_free(d);
    return c;
}

static double kbps(const cost *c)
{
    return (c->bytes + c->packets * PACKET_OVERHEAD) * 8 * 30 / 1000;
}

/* Downscaled copies of every frame; returns ms per frame. */
static double downscale(lm_image *dst, int n, unsigned w, unsigned h)
{
    for (int k = 0; k < n; k++)
        lm_image_alloc(&dst[k], w, h);
    double t = 0;
    long done = 0;
    for (int round = 0; round < 50 && t < min_seconds; round++)
        for (int k = 0; k < n; k++, done++) {
            double t0 = now_s();
            lm_image_downscale(&frames[k], &dst[k]);
            t += now_s() - t0;
        }
    return t * 1e3 / (double)done;
}

/* ---- tjbench ------------------------------------------------------------- */

/* A frame as a PPM (JFIF's full-range YCbCr to RGB). */
static bool write_ppm(const char *path, const lm_image *im)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return false;
    fprintf(f, "P6\n%d %d\n255\n", W, H);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            double Y = im->plane[0][y * im->stride[0] + x];
            double Cb = im->plane[1][y / 2 * im->stride[1] + x / 2] - 128.0;
            double Cr = im->plane[2][y / 2 * im->stride[2] + x / 2] - 128.0;
            double rgb[3] = {Y + 1.402 * Cr, Y - 0.344136 * Cb - 0.714136 * Cr,
                             Y + 1.772 * Cb};
            for (int i = 0; i < 3; i++)
                fputc(rgb[i] < 0 ? 0 : rgb[i] > 255 ? 255 : (int)(rgb[i] + 0.5),
                      f);
        }
    return fclose(f) == 0;
}

/* tjbench -yuv on the PPM at q: its YUV->JPEG and JPEG->YUV times (the
 * same work as ours) per frame and the JPEG's bytes. */
static bool tjbench(const char *ppm, int q, cost *c)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "tjbench %s %d -subsamp 420 -yuv -quiet -nowrite -benchtime 1 "
             "-warmup 0.2 2>/dev/null",
             ppm, q);
    FILE *p = popen(cmd, "r");
    if (!p)
        return false;
    char line[512], last[512] = "";
    while (fgets(line, sizeof line, p))
        if (strstr(line, "4:2:0"))
            snprintf(last, sizeof last, "%s", line);
    if (pclose(p) != 0 || !last[0])
        return false;
    /* Format Subsamp Qual Width Height EncodePerf CompPerf Ratio
     * DecompPerf DecodePerf, after "BGR  (TD)" */
    char fmt[16], td[16], ss[16];
    int qq, w, h;
    double encode, comp, ratio, decomp, decode;
    if (sscanf(last, "%15s %15s %15s %d %d %d %lf %lf %lf %lf %lf", fmt, td,
               ss, &qq, &w, &h, &encode, &comp, &ratio, &decomp,
               &decode) != 11 ||
        comp <= 0 || decomp <= 0 || ratio <= 0)
        return false;
    double mpix = (double)w * h / 1e6;
    c->enc_ms = mpix / comp * 1e3;
    c->dec_ms = mpix / decomp * 1e3;
    c->bytes = (double)w * h * 3 / ratio;
    c->packets = 1;
    return true;
}

/* ---- main --------------------------------------------------------------- */

int main(int argc, char **argv)
{
    const char *clip = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--frames") && i + 1 < argc)
            nframes = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc)
            min_seconds = atof(argv[++i]);
        else if (argv[i][0] != '-')
            clip = argv[i];
        else {
            fprintf(stderr, "usage: bench_video [--frames N] [--seconds S] "
                            "[CLIP.mjpeg]\n");
            return 2;
        }
    }
    if (nframes < 1 || nframes > MAX_FRAMES || min_seconds <= 0 ||
        min_seconds > 10) {
        fprintf(stderr, "bench_video: --frames 1..%d, --seconds up to 10\n",
                MAX_FRAMES);
        return 2;
    }
    int n = clip ? load_clip(clip) : make_pattern();
    if (n <= 0) {
        fprintf(stderr, "bench_video: no 640x360 4:2:0 or 4:2:2 frames%s%s\n",
                clip ? " in " : "", clip ? clip : "");
        return 1;
    }
    printf("frames: %d at %dx%d from %s\n", n, W, H,
           clip ? "the clip" : "the test pattern");
    printf("on the wire per band packet: JPEG + %d bytes (band header %d, "
           "seal %d, ENet 10, UDP/IPv4 28)\n\n",
           PACKET_OVERHEAD, LM_VIDEO_BAND_HEAD, 1 + LM_SEAL_OVERHEAD);

    static const int qs[] = {50, 75, 90};
    char ppm[] = "/tmp/bench_video_XXXXXX";
    int fd = mkstemp(ppm);
    /* the baseline's frame: the middle one (a clip may open on black) */
    const lm_image *mid = &frames[n / 2];
    bool have_tj = fd >= 0 && (close(fd), write_ppm(ppm, mid));

    printf("640x360 per frame        encode ms  decode ms   bytes  packets "
           " kbit/s@30\n");
    cost full_band[3];
    for (int i = 0; i < 3; i++) {
        cost wf = whole(frames, n, qs[i]);
        cost bf = bands(frames, n, qs[i], 1);
        full_band[i] = bf;
        cost tj;
        bool tj_ok = have_tj && tjbench(ppm, qs[i], &tj);
        printf("q%d whole frame           %7.3f    %7.3f  %7.0f  %5.1f   %7.0f\n",
               qs[i], wf.enc_ms, wf.dec_ms, wf.bytes, wf.packets,
               wf.bytes * 8 * 30 / 1000);
        printf("q%d bands                 %7.3f    %7.3f  %7.0f  %5.1f   %7.0f"
               "  (%.1f split)\n",
               qs[i], bf.enc_ms, bf.dec_ms, bf.bytes, bf.packets, kbps(&bf),
               bf.splits);
        if (tj_ok) {
            /* ours on that same frame, against it */
            cost w1 = whole(mid, 1, qs[i]), b1 = bands(mid, 1, qs[i], 1);
            printf("q%d tjbench, frame %d     %7.3f    %7.3f  %7.0f\n", qs[i],
                   n / 2, tj.enc_ms, tj.dec_ms, tj.bytes);
            printf("q%d ours on frame %d: whole %.3f / %.3f ms, bands %.3f / "
                   "%.3f ms; over tjbench: whole %.2f / %.2f, bands %.2f / "
                   "%.2f (encode / decode)\n",
                   qs[i], n / 2, w1.enc_ms, w1.dec_ms, b1.enc_ms, b1.dec_ms,
                   w1.enc_ms / tj.enc_ms, w1.dec_ms / tj.dec_ms,
                   b1.enc_ms / tj.enc_ms, b1.dec_ms / tj.dec_ms);
        }
    }
    if (!have_tj)
        printf("(no baseline: tjbench not found; Debian package "
               "libjpeg-turbo-progs)\n");
    if (fd >= 0)
        unlink(ppm);

    printf("\nscaled decode of the 640x360 q75 bands  ms per frame\n");
    for (unsigned div = 2; div <= 8; div *= 2) {
        cost c = bands(frames, n, 75, div);
        printf("  1/%u (%ux%u)                         %7.3f\n", div,
               lm_band_scaled(W, div), lm_band_scaled(H, div), c.dec_ms);
    }

    static const unsigned sizes[][2] = {{320, 180}, {160, 90}};
    static lm_image small[2][MAX_FRAMES];
    double ds[2];
    printf("\ndownscale from 640x360     ms per frame\n");
    for (int s = 0; s < 2; s++) {
        ds[s] = downscale(small[s], n, sizes[s][0], sizes[s][1]);
        printf("  to %ux%u                %7.3f\n", sizes[s][0], sizes[s][1],
               ds[s]);
    }

    printf("\nbands at each size        encode ms  decode ms   bytes  packets "
           " kbit/s@30\n");
    cost tile[3];
    for (int i = 0; i < 3; i++)
        printf("640x360 q%d               %7.3f    %7.3f  %7.0f  %5.1f   %7.0f\n",
               qs[i], full_band[i].enc_ms, full_band[i].dec_ms,
               full_band[i].bytes, full_band[i].packets, kbps(&full_band[i]));
    for (int s = 0; s < 2; s++)
        for (int i = 0; i < 3; i++) {
            cost c = bands(small[s], n, qs[i], 1);
            if (s == 0)
                tile[i] = c;
            printf("%ux%u q%d %s              %7.3f    %7.3f  %7.0f  %5.1f   "
                   "%7.0f  (%.1f split)\n",
                   sizes[s][0], sizes[s][1], qs[i], s ? " " : "", c.enc_ms,
                   c.dec_ms, c.bytes, c.packets, kbps(&c), c.splits);
        }

    /* what follows from the figures above, at quality 75 */
    double cpu9 = 9 * 30 * tile[1].dec_ms / 10; /* % of one core */
    printf("\none node decoding 9 streams of 320x180 q75 tiles at 30 fps: "
           "%.1f %% of one core\n",
           cpu9);
    double lan = 90 * kbps(&tile[1]) / 1000, naive = 90 * kbps(&full_band[1]) / 1000;
    printf("10 people, each watching 9 as 320x180 q75 tiles: %.1f Mbit/s on "
           "the LAN (90 streams); all at 640x360 q75: %.1f Mbit/s\n",
           lan, naive);
    /* the service codes tiles at quality 50 at most (video.c) */
    printf("10 people, each watching 9 as 320x180 q50 tiles (the service's "
           "tile cap): %.1f Mbit/s on the LAN; one node decoding 9 of them: "
           "%.1f %% of one core\n",
           90 * kbps(&tile[0]) / 1000, 9 * 30 * tile[0].dec_ms / 10);
    printf("one sender's own encode at 30 fps, 640x360 + 320x180 q75 (+ "
           "downscale): %.1f %% of one core\n",
           30 * (full_band[1].enc_ms + tile[1].enc_ms + ds[0]) / 10);
    return 0;
}
