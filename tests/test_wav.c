/* test_wav.c - tests for ui/dev/wav.c.
 *
 * WAV: what is written reads back sample for sample, and loops; a writer
 * that is never closed (still open, or its process killed) leaves a valid
 * file covering all but the last second; 44.1 kHz stereo 16-bit and 8 kHz
 * mono 8-bit files come out at 48 kHz with the right length and pitch;
 * every sample format reads to the same signal; odd chunks are skipped and
 * an unfinished data size reads to the end; a table of corrupt files is
 * refused, each with a sentence, from a buffer of exactly its size (so
 * AddressSanitizer sees any read past it). The synthetic sources are
 * test_synth.c's. */
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "pcm_check.h"
#include "dev/wav.h"
#include "err.h"

#define FRAME 480 /* 10 ms */
#define PI 3.141592653589793

static char dir[64];

static const char *path_of(const char *name)
{
    static char p[128];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return p;
}

/* ---- building WAV bytes ---- */

typedef struct buf {
    uint8_t b[1 << 20];
    size_t n;
} buf;

static buf B; /* one at a time; large, so not on the stack */

static void b_bytes(buf *b, const void *p, size_t n)
{
    if (b->n + n > sizeof b->b)
        abort();
    memcpy(b->b + b->n, p, n);
    b->n += n;
}

static void b_u16(buf *b, unsigned v)
{
    uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
    b_bytes(b, x, 2);
}

static void b_u32(buf *b, uint32_t v)
{
    b_u16(b, v & 0xFFFF);
    b_u16(b, v >> 16);
}

static void b_riff(buf *b)
{
    b->n = 0;
    b_bytes(b, "RIFF\0\0\0\0WAVE", 12); /* size 0, as a killed writer */
}

/* A 16-byte fmt chunk; align 0 means the right one. */
static void b_fmt(buf *b, unsigned tag, unsigned ch, uint32_t rate,
                  unsigned bits, unsigned align)
{
    if (!align)
        align = ch * bits / 8;
    b_bytes(b, "fmt \x10\0\0\0", 8);
    b_u16(b, tag);
    b_u16(b, ch);
    b_u32(b, rate);
    b_u32(b, rate * align);
    b_u16(b, align);
    b_u16(b, bits);
}

/* WAVE_FORMAT_EXTENSIBLE around sub-format tag; guid_ok 0 spoils it. */
static void b_fmt_ext(buf *b, unsigned tag, unsigned ch, uint32_t rate,
                      unsigned bits, int guid_ok)
{
    static const uint8_t tail[12] = {0x00, 0x00, 0x10, 0x00, 0x80, 0x00,
                                     0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71};
    b_bytes(b, "fmt \x28\0\0\0", 8);
    b_u16(b, 0xFFFE);
    b_u16(b, ch);
    b_u32(b, rate);
    b_u32(b, rate * ch * bits / 8);
    b_u16(b, ch * bits / 8);
    b_u16(b, bits);
    b_u16(b, 22);              /* cbSize */
    b_u16(b, bits);            /* valid bits */
    b_u32(b, ch == 1 ? 4 : 3); /* FC or FL|FR */
    b_u16(b, tag);
    b_u16(b, 0);
    b_bytes(b, tail, 12);
    if (!guid_ok)
        b->b[b->n - 1] ^= 1;
}

static void b_chunk(buf *b, const char *id, uint32_t len, size_t payload)
{
    b_bytes(b, id, 4);
    b_u32(b, len);
    for (size_t i = 0; i < payload; i++)
        b_bytes(b, "\x11", 1);
}

/* One sample x in [-1, 1) in a format. */
static void b_sample(buf *b, double x, unsigned bits, int is_float)
{
    if (is_float) {
        float f = (float)x;
        uint32_t u;
        memcpy(&u, &f, 4);
        b_u32(b, u);
        return;
    }
    long v = lround(x * 32767.0); /* what the app's int16 would be */
    switch (bits) {
    case 8: {
        uint8_t c = (uint8_t)(128 + lround(x * 127.0));
        b_bytes(b, &c, 1);
        break;
    }
    case 16: b_u16(b, (unsigned)(v & 0xFFFF)); break;
    case 24: {
        uint32_t u = (uint32_t)(v * 256) & 0xFFFFFF;
        uint8_t x3[3] = {(uint8_t)u, (uint8_t)(u >> 8), (uint8_t)(u >> 16)};
        b_bytes(b, x3, 3);
        break;
    }
    case 32: b_u32(b, (uint32_t)(v * 65536)); break;
    }
}

/* The test signal: a tone of hz for the first tone_s seconds, then
 * silence until total_s; amplitude 0.5. */
static double signal_at(size_t i, uint32_t rate, double hz, double tone_s)
{
    double t = (double)i / rate;
    return t < tone_s ? 0.5 * sin(2 * PI * hz * t) : 0.0;
}

/* A whole file of that signal, every channel the same. */
static void b_tone_file(buf *b, int ext, unsigned tag, unsigned ch,
                        uint32_t rate, unsigned bits, double hz, double tone_s,
                        double total_s)
{
    size_t frames = (size_t)lround(total_s * rate);
    b_riff(b);
    if (ext)
        b_fmt_ext(b, tag, ch, rate, bits, 1);
    else
        b_fmt(b, tag, ch, rate, bits, 0);
    b_chunk(b, "data", (uint32_t)(frames * ch * bits / 8), 0);
    for (size_t i = 0; i < frames; i++)
        for (unsigned c = 0; c < ch; c++)
            b_sample(b, signal_at(i, rate, hz, tone_s), bits, tag == 3);
    if (b->n & 1)
        b_bytes(b, "", 1);
}

static int save(const buf *b, const char *path)
{
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(b->b, 1, b->n, f) == b->n;
    if (f && fclose(f) != 0)
        ok = 0;
    return ok ? 0 : -1;
}

/* Opens a heap copy of exactly b's bytes; *copy to free after close. */
static int open_exact(const buf *b, lm_wav_reader **r, char *why,
                      uint8_t **copy)
{
    *copy = malloc(b->n ? b->n : 1);
    if (!*copy)
        abort();
    memcpy(*copy, b->b, b->n);
    return lm_wav_open_mem(*copy, b->n, r, why, LM_WAV_WHY);
}

/* ---- measuring ---- */

/* The first sample at or after from louder than thr, after at least
 * quiet samples below it; SIZE_MAX if none. */
static size_t onset(const int16_t *x, size_t from, size_t n, int thr,
                    size_t quiet)
{
    size_t run = 0;
    for (size_t i = from; i < n; i++) {
        if (abs(x[i]) > thr) {
            if (run >= quiet)
                return i;
            run = 0;
        } else {
            run++;
        }
    }
    return SIZE_MAX;
}

/* n samples from r in frames of 120, 240 and 480 in turn. */
static int read_all(lm_wav_reader *r, int16_t *out, size_t n)
{
    static const size_t sizes[] = {120, 240, 480};
    size_t done = 0;
    for (int k = 0; done < n; k++) {
        size_t m = sizes[k % 3];
        if (m > n - done)
            m = n - done;
        if (lm_wav_read(r, out + done, m) != 0)
            return -1;
        done += m;
    }
    return 0;
}

static int16_t noise(uint32_t *state)
{
    *state = *state * 1664525u + 1013904223u;
    return (int16_t)(*state >> 16);
}

/* ---- the writer and reading back ---- */

static void test_write_read_back(void)
{
    enum { N = 3 * RATE + 1234 };
    static int16_t in[N], out[2 * N];
    size_t chunks[] = {480, 7, 1, 100000, 2, 48000};
    lm_wav_writer *w;
    lm_wav_reader *r;
    char why[LM_WAV_WHY] = "";
    uint32_t seed = 1;
    size_t done = 0;

    for (size_t i = 0; i < N; i++)
        in[i] = noise(&seed);
    in[0] = INT16_MIN;
    in[1] = INT16_MAX;
    CHECK_EQ_INT(lm_wav_create(path_of("rt.wav"), &w, why, sizeof why), 0);
    for (int k = 0; done < N; k++) {
        size_t m = chunks[k % 6] < N - done ? chunks[k % 6] : N - done;
        CHECK_EQ_INT(lm_wav_write(w, in + done, m), 0);
        done += m;
    }
    CHECK_EQ_INT(lm_wav_finish(w), 0);

    CHECK_EQ_INT(lm_wav_open(path_of("rt.wav"), &r, why, sizeof why), 0);
    if (!r)
        return;
    const lm_wav_info *info = lm_wav_info_of(r);
    CHECK_EQ_INT(info->rate, RATE);
    CHECK_EQ_INT(info->channels, 1);
    CHECK_EQ_INT(info->bits, 16);
    CHECK_EQ_INT(info->frames, N);
    CHECK_EQ_INT(info->length, N);
    CHECK_EQ_INT(read_all(r, out, 2 * N), 0);
    CHECK(memcmp(out, in, sizeof in) == 0);
    CHECK(memcmp(out + N, in, sizeof in) == 0); /* looped */
    lm_wav_close(r);
}

/* Writes 2.5 s in 10 ms frames; the signal is the sample index. */
static void write_2500ms(lm_wav_writer *w)
{
    int16_t f[FRAME];
    for (size_t k = 0; k < 250; k++) {
        for (size_t i = 0; i < FRAME; i++)
            f[i] = (int16_t)((k * FRAME + i) % 30000);
        if (lm_wav_write(w, f, FRAME) != 0)
            return;
    }
}

/* The file at path is valid, covers >= 1.5 s of the 2.5 s, sample-exact. */
static void check_partial(const char *path)
{
    static int16_t out[2 * RATE + RATE / 2];
    lm_wav_reader *r;
    char why[LM_WAV_WHY] = "";
    uint8_t h[44];
    FILE *f = fopen(path, "rb");

    /* The header itself says so (not only the reader's read-to-the-end
     * rescue of an unfinished file): sizes set, and within the file. */
    CHECK(f && fread(h, 1, 44, f) == 44 && fseek(f, 0, SEEK_END) == 0);
    if (f) {
        uint32_t data = (uint32_t)h[40] | (uint32_t)h[41] << 8 |
                        (uint32_t)h[42] << 16 | (uint32_t)h[43] << 24;
        uint32_t riff = (uint32_t)h[4] | (uint32_t)h[5] << 8 |
                        (uint32_t)h[6] << 16 | (uint32_t)h[7] << 24;
        CHECK(data >= 2 * RATE * 3 / 2 && data % 2 == 0);
        CHECK(riff == 36 + data);
        CHECK(ftell(f) >= 44 + (long)data);
        fclose(f);
    }
    CHECK_EQ_INT(lm_wav_open(path, &r, why, sizeof why), 0);
    if (!r) {
        fprintf(stderr, "  %s\n", why);
        return;
    }
    const lm_wav_info *info = lm_wav_info_of(r);
    CHECK(info->frames >= RATE * 3 / 2);
    CHECK(info->frames <= RATE * 5 / 2);
    size_t n = (size_t)info->frames;
    CHECK_EQ_INT(read_all(r, out, n), 0);
    size_t bad = 0;
    for (size_t i = 0; i < n; i++)
        bad += out[i] != (int16_t)(i % 30000);
    CHECK_EQ_INT(bad, 0);
    lm_wav_close(r);
}

static void test_writer_never_closed(void)
{
    lm_wav_writer *w;
    char why[LM_WAV_WHY] = "";

    CHECK_EQ_INT(lm_wav_create(path_of("open.wav"), &w, why, sizeof why), 0);
    if (!w)
        return;
    write_2500ms(w);
    check_partial(path_of("open.wav")); /* while w still holds it */
    CHECK_EQ_INT(lm_wav_finish(w), 0);
}

static void test_writer_killed(void)
{
    int status = 0;
    pid_t pid = fork();

    CHECK(pid >= 0);
    if (pid == 0) {
        lm_wav_writer *w;
        if (lm_wav_create(path_of("killed.wav"), &w, NULL, 0) != 0)
            _exit(1);
        write_2500ms(w);
        kill(getpid(), SIGKILL); /* no finish, no exit handlers */
        _exit(2);
    }
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    check_partial(path_of("killed.wav"));
}

static void test_open_errors(void)
{
    lm_wav_reader *r = (lm_wav_reader *)1;
    lm_wav_writer *w = (lm_wav_writer *)1;
    char why[LM_WAV_WHY] = "";

    CHECK_EQ_INT(lm_wav_open(path_of("absent.wav"), &r, why, sizeof why),
                 LM_EIO);
    CHECK(r == NULL);
    CHECK(strstr(why, "absent.wav") != NULL);
    why[0] = '\0';
    CHECK_EQ_INT(lm_wav_create(path_of("no/such/dir.wav"), &w, why, sizeof why),
                 LM_EIO);
    CHECK(w == NULL);
    CHECK(strstr(why, "cannot create") != NULL);
    why[0] = '\0';
    CHECK_EQ_INT(lm_wav_open(dir, &r, why, sizeof why), LM_EIO);
    CHECK(why[0] != '\0');
    CHECK_EQ_INT(lm_wav_finish(NULL), 0);
    lm_wav_close(NULL);
}

/* ---- conversion ---- */

/* A 1 kHz tone file of 0.5 s tone + 0.5 s silence at rate: three passes
 * come out with tone onsets one 48 kHz second apart (+-1 frame) and the
 * pitch right to 1 %. */
static void check_tone_file(lm_wav_reader *r, double hz)
{
    enum { PASSES = 3 };
    static int16_t out[PASSES * RATE + RATE];
    const lm_wav_info *info = lm_wav_info_of(r);
    size_t prev = 0;

    CHECK(llabs((long long)info->length - RATE) <= FRAME);
    CHECK_EQ_INT(read_all(r, out, PASSES * RATE + FRAME), 0);
    for (int p = 0; p < PASSES; p++) {
        size_t at = onset(out, p ? prev + RATE / 2 : 0, PASSES * RATE + FRAME,
                          4000, p ? RATE / 10 : 0);
        CHECK(at != SIZE_MAX);
        if (at == SIZE_MAX)
            return;
        CHECK(llabs((long long)at - (long long)p * RATE) <= FRAME);
        if (p)
            CHECK(llabs((long long)(at - prev) - RATE) <= FRAME);
        double f = pitch(out, at + RATE / 20, at + RATE * 9 / 20, 2000);
        CHECK(fabs(f - hz) <= hz / 100);
        if (fabs(f - hz) > hz / 100)
            fprintf(stderr, "  pass %d: %.1f Hz, not %.1f\n", p, f, hz);
        prev = at;
    }
}

static void test_44k1_stereo_16(void)
{
    lm_wav_reader *r;
    char why[LM_WAV_WHY] = "";

    b_tone_file(&B, 0, 1, 2, 44100, 16, 1000, 0.5, 1.0);
    CHECK_EQ_INT(save(&B, path_of("44k1.wav")), 0);
    CHECK_EQ_INT(lm_wav_open(path_of("44k1.wav"), &r, why, sizeof why), 0);
    if (!r)
        return;
    CHECK_EQ_INT(lm_wav_info_of(r)->channels, 2);
    CHECK_EQ_INT(lm_wav_info_of(r)->frames, 44100);
    check_tone_file(r, 1000);
    lm_wav_close(r);
}

static void test_8k_mono_8bit(void)
{
    lm_wav_reader *r;
    char why[LM_WAV_WHY] = "";
    uint8_t *copy;

    b_tone_file(&B, 0, 1, 1, 8000, 8, 440, 0.5, 1.0);
    CHECK_EQ_INT(open_exact(&B, &r, why, &copy), 0);
    if (r) {
        CHECK_EQ_INT(lm_wav_info_of(r)->frames, 8000);
        check_tone_file(r, 440);
    }
    lm_wav_close(r);
    free(copy);
}

/* Every format at 48 kHz reads to the int16 the tone would be, within
 * what the format can say. */
static void test_formats(void)
{
    static const struct {
        int ext;
        unsigned tag, ch, bits, tol;
    } rows[] = {
        {0, 1, 1, 8, 300}, {0, 1, 1, 16, 0}, {0, 1, 1, 24, 1},
        {0, 1, 1, 32, 1},  {0, 3, 1, 32, 1}, {0, 1, 2, 16, 1},
        {0, 1, 3, 24, 1},  {0, 3, 8, 32, 1}, {1, 1, 1, 16, 0},
        {1, 1, 2, 24, 1},  {1, 3, 2, 32, 1}, {1, 1, 1, 8, 300},
    };
    static int16_t out[RATE / 10];

    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        lm_wav_reader *r;
        char why[LM_WAV_WHY] = "";
        uint8_t *copy;
        long worst = 0;

        b_tone_file(&B, rows[i].ext, rows[i].tag, rows[i].ch, RATE,
                    rows[i].bits, 997, 0.1, 0.1);
        CHECK_EQ_INT(open_exact(&B, &r, why, &copy), 0);
        if (r && read_all(r, out, RATE / 10) == 0) {
            for (size_t k = 0; k < RATE / 10; k++) {
                long want = lround(signal_at(k, RATE, 997, 0.1) * 32767.0);
                long d = labs(out[k] - want);
                worst = d > worst ? d : worst;
            }
        } else {
            fprintf(stderr, "  row %zu: %s\n", i, why);
            worst = 99999;
        }
        if (worst > (long)rows[i].tol)
            fprintf(stderr, "  row %zu: off by %ld\n", i, worst);
        CHECK(worst <= (long)rows[i].tol);
        lm_wav_close(r);
        free(copy);
    }
}

/* Float out of range is clamped, NaN is silence; channels average. */
static void test_float_edges_and_mix(void)
{
    static const float in[] = {2.0f, -3.0f, NAN, INFINITY, -INFINITY, 0.5f};
    static const int16_t want[] = {32767, -32768, 0, 32767, -32768, 16384};
    int16_t out[6];
    lm_wav_reader *r;
    char why[LM_WAV_WHY] = "";
    uint8_t *copy;

    b_riff(&B);
    b_fmt(&B, 3, 1, RATE, 32, 0);
    b_chunk(&B, "data", sizeof in, 0);
    for (size_t i = 0; i < 6; i++) {
        uint32_t u;
        memcpy(&u, &in[i], 4);
        b_u32(&B, u);
    }
    CHECK_EQ_INT(open_exact(&B, &r, why, &copy), 0);
    CHECK(r && lm_wav_read(r, out, 6) == 0 && memcmp(out, want, 12) == 0);
    lm_wav_close(r);
    free(copy);

    /* stereo: left +x, right -x averages to silence; 1000/3000 to 2000 */
    b_riff(&B);
    b_fmt(&B, 1, 2, RATE, 16, 0);
    b_chunk(&B, "data", 8, 0);
    b_u16(&B, 12345);
    b_u16(&B, (unsigned)-12345 & 0xFFFF);
    b_u16(&B, 1000);
    b_u16(&B, 3000);
    CHECK_EQ_INT(open_exact(&B, &r, why, &copy), 0);
    CHECK(r && lm_wav_read(r, out, 2) == 0 && out[0] == 0 && out[1] == 2000);
    lm_wav_close(r);
    free(copy);
}

/* Unknown chunks of odd size around fmt; an odd data chunk with its pad;
 * data sizes 0 and 0xFFFFFFFF read to the end of the file. */
static void test_chunks_and_unknown_size(void)
{
    static const uint32_t sizes[] = {7, 0, 0xFFFFFFFF};
    static const size_t want[] = {7, 10, 10}; /* 8-bit mono frames */

    for (size_t i = 0; i < 3; i++) {
        lm_wav_reader *r;
        char why[LM_WAV_WHY] = "";
        uint8_t *copy;
        int16_t out[24];

        b_riff(&B);
        b_chunk(&B, "LIST", 3, 4); /* odd, padded */
        b_fmt(&B, 1, 1, RATE, 8, 0);
        b_chunk(&B, "junk", 1, 2);
        b_chunk(&B, "data", sizes[i], 0);
        for (int k = 0; k < 7; k++)
            b_bytes(&B, (uint8_t[]){(uint8_t)(129 + k)}, 1);
        b_bytes(&B, "\x80\x80\x80", 3); /* pad + 2, or samples to the end */
        CHECK_EQ_INT(open_exact(&B, &r, why, &copy), 0);
        if (!r) {
            fprintf(stderr, "  size %zu: %s\n", i, why);
            free(copy);
            continue;
        }
        CHECK_EQ_INT(lm_wav_info_of(r)->frames, want[i]);
        CHECK_EQ_INT(lm_wav_read(r, out, 24), 0);
        for (size_t k = 0; k < 24; k++) {
            size_t j = k % want[i];
            int16_t e = j < 7 ? (int16_t)((1 + j) * 256) : 0;
            CHECK_EQ_INT(out[k], e);
        }
        lm_wav_close(r);
        free(copy);
    }
}

/* ---- corrupt files ---- */

/* Builds corrupt file i into B; returns its name, NULL past the last. */
static const char *corrupt(int i)
{
    b_riff(&B);
    switch (i) {
    case 0: B.n = 0; return "empty";
    case 1: B.n = 11; return "shorter than the RIFF header";
    case 2: memcpy(B.b, "RIFX", 4); return "big-endian RIFX";
    case 3: memcpy(B.b + 8, "AVI ", 4); return "RIFF but not WAVE";
    case 4: return "header only, no chunks";
    case 5: b_chunk(&B, "LIST", 4, 4); return "no fmt chunk";
    case 6: b_fmt(&B, 1, 1, RATE, 16, 0); return "fmt but no data";
    case 7: b_fmt(&B, 1, 0, RATE, 16, 2); break; /* 0 channels */
    case 8: b_fmt(&B, 1, 9, RATE, 16, 0); break; /* 9 channels */
    case 9: b_fmt(&B, 1, 1, 0, 16, 0); break;    /* rate 0 */
    case 10: b_fmt(&B, 1, 1, 7999, 16, 0); break;
    case 11: b_fmt(&B, 1, 1, 192001, 16, 0); break;
    case 12: b_fmt(&B, 1, 1, 0xFFFFFFFF, 16, 0); break;
    case 13: b_fmt(&B, 1, 1, RATE, 12, 2); break; /* 12-bit */
    case 14: b_fmt(&B, 1, 1, RATE, 0, 1); break;  /* 0-bit */
    case 15: b_fmt(&B, 3, 1, RATE, 64, 0); break; /* double */
    case 16: b_fmt(&B, 2, 1, RATE, 4, 1); break;  /* ADPCM */
    case 17: b_fmt(&B, 1, 2, RATE, 16, 2); break; /* align */
    case 18: b_fmt(&B, 1, 2, RATE, 16, 0xFFFF); break;
    case 19: b_fmt_ext(&B, 1, 1, RATE, 16, 0); break; /* GUID */
    case 20: b_fmt_ext(&B, 2, 1, RATE, 16, 1); break; /* ext ADPCM */
    case 21: /* extensible in a 16-byte fmt */
        b_fmt(&B, 0xFFFE, 1, RATE, 16, 0);
        break;
    case 22: /* valid bits above the container */
        b_fmt_ext(&B, 1, 1, RATE, 16, 1);
        B.b[12 + 8 + 18] = 20;
        break;
    case 23: /* fmt size 14 */
        b_fmt(&B, 1, 1, RATE, 16, 0);
        B.b[16] = 14;
        break;
    case 24: /* fmt size absurd */
        b_fmt(&B, 1, 1, RATE, 16, 0);
        memcpy(B.b + 16, "\xF0\xFF\xFF\xFF", 4);
        break;
    case 25: b_chunk(&B, "LIST", 0xFFFFFFF0, 8); return "chunk past the end";
    case 26: b_chunk(&B, "LIST", 5, 4); return "chunk 1 byte past the end";
    case 27:
        b_chunk(&B, "data", 4, 4);
        b_fmt(&B, 1, 1, RATE, 16, 0);
        return "data before fmt";
    case 28:
        b_fmt(&B, 1, 1, RATE, 16, 0);
        b_fmt(&B, 1, 1, RATE, 16, 0);
        break; /* two fmt chunks */
    case 29:
        b_fmt(&B, 1, 1, RATE, 16, 0);
        b_chunk(&B, "data", 1000, 10);
        return "data size beyond the file";
    case 30:
        b_fmt(&B, 1, 1, RATE, 16, 0);
        b_chunk(&B, "data", 0, 0);
        return "unfinished data, nothing after it";
    case 31:
        b_fmt(&B, 1, 1, RATE, 16, 0);
        b_chunk(&B, "data", 1, 1);
        return "data of less than one frame";
    case 32:
        b_fmt(&B, 1, 1, RATE, 16, 0);
        b_chunk(&B, "data", 0xFFFFFFFF, 1);
        return "unfinished data, half a frame";
    case 33:
        b_fmt(&B, 1, 1, RATE, 16, 0);
        B.n -= 3;
        return "truncated in fmt";
    case 34:
        b_fmt(&B, 1, 1, RATE, 16, 0);
        b_bytes(&B, "data\x10\0", 6);
        return "truncated in the data header";
    default: return NULL;
    }
    b_chunk(&B, "data", 16, 16);
    return "bad fmt (see the case)";
}

static void test_corrupt_refused(void)
{
    const char *name;

    for (int i = 0; (name = corrupt(i)) != NULL; i++) {
        lm_wav_reader *r = (lm_wav_reader *)1;
        char why[LM_WAV_WHY] = "";
        uint8_t *copy;
        int rc = open_exact(&B, &r, why, &copy);

        if (rc != LM_EPROTO || r != NULL || why[0] == '\0')
            fprintf(stderr, "  case %d (%s): rc %d, why \"%s\"\n", i, name, rc,
                    why);
        CHECK_EQ_INT(rc, LM_EPROTO);
        CHECK(r == NULL);
        CHECK(why[0] != '\0');
        if (rc == 0)
            lm_wav_close(r);
        free(copy);
    }
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/test_wav.XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    RUN(test_write_read_back);
    RUN(test_writer_never_closed);
    RUN(test_writer_killed);
    RUN(test_open_errors);
    RUN(test_44k1_stereo_16);
    RUN(test_8k_mono_8bit);
    RUN(test_formats);
    RUN(test_float_edges_and_mix);
    RUN(test_chunks_and_unknown_size);
    RUN(test_corrupt_refused);
    const char *names[] = {"rt.wav", "open.wav", "killed.wav", "44k1.wav"};
    for (size_t i = 0; i < 4; i++)
        unlink(path_of(names[i]));
    rmdir(dir);
    return check_report();
}
