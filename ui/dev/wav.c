/* wav.c - WAV files in (any common format, resampled to 48 kHz mono) and
 * out (48 kHz mono 16-bit, with a header that survives a kill).
 *
 * The reader sees the file through a small source (a FILE or a buffer in
 * memory) that knows its size up front, so every chunk size is checked
 * against what is really there before anything is read; after the header
 * it decodes a block of sample frames at a time into mono int16 and runs
 * them through SpeexDSP's resampler, which keeps its state across the
 * loop from the end of the data back to its start. */
#include "wav.h"

#include <errno.h>
#include <speex/speex_resampler.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "err.h"

#define RESAMPLE_QUALITY 5 /* SpeexDSP's 0..10; 5 is its VoIP default */
#define MIN_RATE 8000
#define MAX_RATE 192000
#define MAX_CHANNELS 8   /* 7.1; more is refused, fewer are averaged */
#define BLOCK_FRAMES 512 /* frames decoded per read from the file */
#define MAX_ALIGN (MAX_CHANNELS * 4)
#define FMT_MIN 16        /* the fmt fields every WAV file has */
#define FMT_EXTENSIBLE 40 /* ... plus cbSize, valid bits, mask, GUID */
#define HEADER_BYTES 44   /* RIFF + fmt (16) + data headers, as we write */
#define SIZE_UNKNOWN 0xFFFFFFFFu /* data size of an unfinished stream */

enum { TAG_PCM = 1, TAG_FLOAT = 3, TAG_EXTENSIBLE = 0xFFFE };

/* The tail of KSDATAFORMAT_SUBTYPE_PCM / _IEEE_FLOAT, after the 16-bit
 * format tag and two zero bytes. */
static const uint8_t guid_tail[12] = {0x00, 0x00, 0x10, 0x00, 0x80, 0x00,
                                      0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71};

/* Bytes of a file or of a borrowed buffer, read at an offset. */
typedef struct src {
    FILE *f;            /* NULL: read from mem */
    const uint8_t *mem; /* borrowed */
    uint64_t size;      /* known at open; reads never go past it */
    uint64_t fpos;      /* where f is, to seek only when needed */
} src;

struct lm_wav_reader {
    src s;
    lm_wav_info info;
    unsigned align;          /* bytes per sample frame */
    uint64_t data_start;     /* offset of the first sample */
    uint64_t data_len;       /* whole frames' bytes */
    uint64_t data_pos;       /* bytes of the data read in this pass */
    SpeexResamplerState *rs; /* NULL at 48 kHz: samples pass unchanged */
    int failed;
    size_t in_pos, in_len; /* the decoded block, in[in_pos..in_len) */
    int16_t in[BLOCK_FRAMES];
    uint8_t raw[BLOCK_FRAMES * MAX_ALIGN];
};

struct lm_wav_writer {
    FILE *f;
    uint64_t samples; /* written so far */
    uint64_t covered; /* samples the header on disk says */
    int err;          /* sticky LM_EIO */
};

static void say(char *why, size_t why_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void say(char *why, size_t why_size, const char *fmt, ...)
{
    va_list ap;

    if (!why || why_size == 0)
        return;
    va_start(ap, fmt);
    vsnprintf(why, why_size, fmt, ap);
    va_end(ap);
}

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)v);
    put16(p + 2, (uint16_t)(v >> 16));
}

/* Up to n bytes at off into buf; returns how many (short at the end of the
 * source, or on a read error). */
static size_t src_read(src *s, uint64_t off, void *buf, size_t n)
{
    size_t got;

    if (off >= s->size)
        return 0;
    if (n > s->size - off)
        n = (size_t)(s->size - off);
    if (!s->f) {
        memcpy(buf, s->mem + off, n);
        return n;
    }
    if (s->fpos != off) {
        if (off > INT64_MAX || fseeko(s->f, (off_t)off, SEEK_SET) != 0) {
            s->fpos = UINT64_MAX;
            return 0;
        }
        s->fpos = off;
    }
    got = fread(buf, 1, n, s->f);
    s->fpos += got;
    return got;
}

/* A chunk id for a message: printable ASCII, anything else as '?'. */
static void chunk_name(const uint8_t *id, char out[5])
{
    for (int i = 0; i < 4; i++)
        out[i] = (id[i] >= 0x20 && id[i] < 0x7F) ? (char)id[i] : '?';
    out[4] = '\0';
}

/* The fmt chunk's first len bytes (len >= FMT_MIN, at most FMT_EXTENSIBLE
 * of them kept) into r->info and r->align. */
static int parse_fmt(lm_wav_reader *r, const uint8_t *p, uint32_t len,
                     char *why, size_t ws)
{
    unsigned tag = le16(p), ch = le16(p + 2), align = le16(p + 12);
    unsigned bits = le16(p + 14);
    uint32_t rate = le32(p + 4);

    if (tag == TAG_EXTENSIBLE) {
        if (len < FMT_EXTENSIBLE || le16(p + 16) < 22) {
            say(why, ws, "WAVE_FORMAT_EXTENSIBLE fmt chunk too short");
            return LM_EPROTO;
        }
        if (le16(p + 18) > bits) {
            say(why, ws, "%u valid bits in a %u-bit sample", le16(p + 18),
                bits);
            return LM_EPROTO;
        }
        tag = le16(p + 24);
        if (le16(p + 26) != 0 || memcmp(p + 28, guid_tail, 12) != 0) {
            say(why, ws, "unknown WAVE_FORMAT_EXTENSIBLE sub-format");
            return LM_EPROTO;
        }
    }
    if (tag == TAG_PCM && bits != 8 && bits != 16 && bits != 24 && bits != 32) {
        say(why, ws, "%u-bit PCM not supported (8, 16, 24 or 32)", bits);
        return LM_EPROTO;
    }
    if (tag == TAG_FLOAT && bits != 32) {
        say(why, ws, "%u-bit float not supported (only 32)", bits);
        return LM_EPROTO;
    }
    if (tag != TAG_PCM && tag != TAG_FLOAT) {
        say(why, ws, "format 0x%04x not supported (only PCM and float)", tag);
        return LM_EPROTO;
    }
    if (ch == 0 || ch > MAX_CHANNELS) {
        say(why, ws, "%u channels (1 to %d supported)", ch, MAX_CHANNELS);
        return LM_EPROTO;
    }
    if (rate < MIN_RATE || rate > MAX_RATE) {
        say(why, ws, "sample rate %lu Hz not supported (%d to %d)",
            (unsigned long)rate, MIN_RATE, MAX_RATE);
        return LM_EPROTO;
    }
    if (align != ch * (bits / 8)) {
        say(why, ws, "block align %u, but %u channels of %u bits need %u",
            align, ch, bits, ch * (bits / 8));
        return LM_EPROTO;
    }
    r->info.rate = rate;
    r->info.channels = (uint16_t)ch;
    r->info.bits = (uint16_t)bits;
    r->info.is_float = tag == TAG_FLOAT;
    r->align = align;
    return 0;
}

/* The data chunk of len bytes (its size field) starting at pos. */
static int take_data(lm_wav_reader *r, uint64_t pos, uint32_t len, char *why,
                     size_t ws)
{
    uint64_t left = r->s.size - pos;

    if (len == 0 || len == SIZE_UNKNOWN) {
        len = 0; /* an unfinished file: everything up to its end */
    } else if (len > left) {
        say(why, ws,
            "data chunk says %lu bytes, but the file has %llu after it",
            (unsigned long)len, (unsigned long long)left);
        return LM_EPROTO;
    }
    r->data_start = pos;
    r->info.frames = (len ? len : left) / r->align;
    r->data_len = r->info.frames * r->align;
    if (r->info.frames == 0) {
        say(why, ws, "data chunk holds no samples");
        return LM_EPROTO;
    }
    r->info.length =
        (r->info.frames * LM_WAV_RATE + r->info.rate - 1) / r->info.rate;
    return 0;
}

/* The RIFF header and the chunks up to data. */
static int parse(lm_wav_reader *r, char *why, size_t ws)
{
    uint8_t h[12], fmt[FMT_EXTENSIBLE];
    uint64_t pos = 12;
    int have_fmt = 0, rc;

    if (src_read(&r->s, 0, h, 12) != 12) {
        say(why, ws, "too short for a WAV file (%llu bytes)",
            (unsigned long long)r->s.size);
        return LM_EPROTO;
    }
    if (memcmp(h, "RIFF", 4) != 0 || memcmp(h + 8, "WAVE", 4) != 0) {
        say(why, ws, "not a WAV file (no RIFF/WAVE header)");
        return LM_EPROTO;
    }
    /* The RIFF size is not trusted: killed writers leave it 0 or stale. */
    for (;;) {
        uint8_t ch[8];
        uint32_t len;
        char name[5];

        if (src_read(&r->s, pos, ch, 8) != 8) {
            say(why, ws, have_fmt ? "no data chunk" : "no fmt chunk");
            return LM_EPROTO;
        }
        pos += 8;
        len = le32(ch + 4);
        chunk_name(ch, name);
        if (memcmp(ch, "data", 4) == 0) {
            if (!have_fmt) {
                say(why, ws, "data chunk before the fmt chunk");
                return LM_EPROTO;
            }
            return take_data(r, pos, len, why, ws);
        }
        if (len > r->s.size - pos) {
            say(why, ws,
                "\"%s\" chunk of %lu bytes runs past the end of the file", name,
                (unsigned long)len);
            return LM_EPROTO;
        }
        if (memcmp(ch, "fmt ", 4) == 0) {
            size_t keep = len < sizeof fmt ? len : sizeof fmt;
            if (have_fmt) {
                say(why, ws, "two fmt chunks");
                return LM_EPROTO;
            }
            if (len < FMT_MIN) {
                say(why, ws, "fmt chunk too short (%lu bytes)",
                    (unsigned long)len);
                return LM_EPROTO;
            }
            if (src_read(&r->s, pos, fmt, keep) != keep) {
                say(why, ws, "cannot read the fmt chunk");
                return LM_EIO;
            }
            if ((rc = parse_fmt(r, fmt, len, why, ws)) != 0)
                return rc;
            have_fmt = 1;
        }
        pos += len;
        if ((len & 1) && pos < r->s.size)
            pos++; /* RIFF pads odd chunks to even */
    }
}

static int open_src(lm_wav_reader *r, lm_wav_reader **out, char *why, size_t ws)
{
    int rc = parse(r, why, ws), err = 0;

    if (rc == 0 && r->info.rate != LM_WAV_RATE) {
        r->rs = speex_resampler_init(1, r->info.rate, LM_WAV_RATE,
                                     RESAMPLE_QUALITY, &err);
        if (!r->rs) {
            say(why, ws, "resampler: %s", speex_resampler_strerror(err));
            rc = LM_ENOMEM;
        } else {
            /* start with the first sample, not the filter's delay */
            speex_resampler_skip_zeros(r->rs);
        }
    }
    if (rc != 0) {
        lm_wav_close(r);
        return rc;
    }
    *out = r;
    return 0;
}

int lm_wav_open(const char *path, lm_wav_reader **out, char *why,
                size_t why_size)
{
    lm_wav_reader *r;
    struct stat st;

    if (!out)
        return LM_EINVAL;
    *out = NULL;
    if (!path) {
        say(why, why_size, "no file name");
        return LM_EINVAL;
    }
    if (!(r = calloc(1, sizeof *r))) {
        say(why, why_size, "out of memory");
        return LM_ENOMEM;
    }
    if (!(r->s.f = fopen(path, "rb"))) {
        say(why, why_size, "cannot open %s: %s", path, strerror(errno));
        free(r);
        return LM_EIO;
    }
    if (fstat(fileno(r->s.f), &st) != 0 || !S_ISREG(st.st_mode)) {
        say(why, why_size, "%s is not a regular file", path);
        lm_wav_close(r);
        return LM_EIO;
    }
    r->s.size = (uint64_t)st.st_size;
    return open_src(r, out, why, why_size);
}

int lm_wav_open_mem(const void *data, size_t size, lm_wav_reader **out,
                    char *why, size_t why_size)
{
    lm_wav_reader *r;

    if (!out)
        return LM_EINVAL;
    *out = NULL;
    if (!data && size) {
        say(why, why_size, "no buffer");
        return LM_EINVAL;
    }
    if (!(r = calloc(1, sizeof *r))) {
        say(why, why_size, "out of memory");
        return LM_ENOMEM;
    }
    r->s.mem = data;
    r->s.size = size;
    return open_src(r, out, why, why_size);
}

const lm_wav_info *lm_wav_info_of(const lm_wav_reader *r)
{
    return &r->info;
}

/* One sample at p as a signed 32-bit full-scale value (float clamped). */
static int64_t sample_at(const lm_wav_reader *r, const uint8_t *p)
{
    uint32_t u;
    float x;

    switch (r->info.bits) {
    case 8: return ((int64_t)p[0] - 128) * 16777216;
    case 16: return (int64_t)(int16_t)le16(p) * 65536;
    case 24:
        u = (uint32_t)p[0] << 8 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 24;
        return ((int64_t)u - ((u & 0x80000000u) ? 0x100000000 : 0));
    }
    u = le32(p);
    if (!r->info.is_float)
        return (int64_t)u - ((u & 0x80000000u) ? 0x100000000 : 0);
    memcpy(&x, &u, sizeof x);
    if (!(x > -1.0f)) /* also NaN */
        return x <= -1.0f ? -2147483648LL : 0;
    return x >= 1.0f ? 2147483647 : (int64_t)(x * 2147483648.0);
}

/* frames frames of raw into r->in as mono int16 (channels averaged). */
static void decode(lm_wav_reader *r, size_t frames)
{
    unsigned ch = r->info.channels, bytes = r->info.bits / 8;
    const uint8_t *p = r->raw;

    for (size_t i = 0; i < frames; i++) {
        int64_t sum = 0, t, v;
        for (unsigned c = 0; c < ch; c++, p += bytes)
            sum += sample_at(r, p);
        t = sum / ch + 32768; /* to 16 bits, rounded to nearest: */
        v = t / 65536;        /* floor(t / 65536), as / truncates */
        if (t < 0 && t % 65536 != 0)
            v--;
        r->in[i] = (int16_t)(v > 32767 ? 32767 : v);
    }
    r->in_pos = 0;
    r->in_len = frames;
}

/* The next block of the data into r->in, from the start again after the
 * end. A file that shrank under us is looped where it now ends. */
static int fill(lm_wav_reader *r)
{
    for (int tries = 0; tries < 2; tries++) {
        uint64_t left = (r->data_len - r->data_pos) / r->align;
        size_t want = left < BLOCK_FRAMES ? (size_t)left : BLOCK_FRAMES;
        size_t got, frames;

        if (want == 0) {
            r->data_pos = 0;
            continue;
        }
        got = src_read(&r->s, r->data_start + r->data_pos, r->raw,
                       want * r->align);
        frames = got / r->align;
        if (frames < want)
            r->data_pos = r->data_len; /* wrap next time */
        else
            r->data_pos += (uint64_t)frames * r->align;
        if (frames > 0) {
            decode(r, frames);
            return 0;
        }
        r->data_pos = 0;
    }
    return LM_EIO; /* nothing at the start of the data either */
}

int lm_wav_read(lm_wav_reader *r, int16_t *out, size_t n)
{
    size_t done = 0;
    int stuck = 0;

    while (done < n && !r->failed) {
        spx_uint32_t in_n, out_n;
        size_t room = n - done;

        if (r->in_pos == r->in_len && fill(r) != 0) {
            r->failed = 1;
            break;
        }
        in_n = (spx_uint32_t)(r->in_len - r->in_pos);
        out_n = room > BLOCK_FRAMES ? BLOCK_FRAMES : (spx_uint32_t)room;
        if (!r->rs) {
            if (out_n > in_n)
                out_n = in_n;
            in_n = out_n;
            memcpy(out + done, r->in + r->in_pos, out_n * sizeof *out);
        } else {
            speex_resampler_process_int(r->rs, 0, r->in + r->in_pos, &in_n,
                                        out + done, &out_n);
        }
        r->in_pos += in_n;
        done += out_n;
        stuck = (in_n == 0 && out_n == 0) ? stuck + 1 : 0;
        if (stuck > 2)
            r->failed = 1; /* the resampler stopped moving: never spin */
    }
    if (done < n) {
        memset(out + done, 0, (n - done) * sizeof *out);
        return LM_EIO;
    }
    return 0;
}

void lm_wav_close(lm_wav_reader *r)
{
    if (!r)
        return;
    if (r->rs)
        speex_resampler_destroy(r->rs);
    if (r->s.f)
        fclose(r->s.f);
    free(r);
}

/* ---- the writer ---- */

#define MAX_SAMPLES ((UINT32_MAX - (HEADER_BYTES - 8)) / 2)
#define WRITE_CHUNK 1024 /* samples converted and written at a time */

/* Flushes what was written, then rewrites the header to cover it, so a
 * header never claims bytes that are not in the file yet. */
static void write_header(lm_wav_writer *w)
{
    uint8_t h[HEADER_BYTES];
    uint32_t bytes = (uint32_t)(w->samples * 2);

    memcpy(h, "RIFF", 4);
    put32(h + 4, HEADER_BYTES - 8 + bytes);
    memcpy(h + 8, "WAVEfmt ", 8);
    put32(h + 16, FMT_MIN);
    put16(h + 20, TAG_PCM);
    put16(h + 22, 1); /* mono */
    put32(h + 24, LM_WAV_RATE);
    put32(h + 28, LM_WAV_RATE * 2); /* bytes per second */
    put16(h + 32, 2);               /* block align */
    put16(h + 34, 16);              /* bits */
    memcpy(h + 36, "data", 4);
    put32(h + 40, bytes);
    if (w->err || fflush(w->f) != 0 || fseeko(w->f, 0, SEEK_SET) != 0 ||
        fwrite(h, sizeof h, 1, w->f) != 1 || fflush(w->f) != 0 ||
        fseeko(w->f, 0, SEEK_END) != 0) {
        w->err = LM_EIO;
        return;
    }
    w->covered = w->samples;
}

int lm_wav_create(const char *path, lm_wav_writer **out, char *why,
                  size_t why_size)
{
    lm_wav_writer *w;

    if (!out)
        return LM_EINVAL;
    *out = NULL;
    if (!path) {
        say(why, why_size, "no file name");
        return LM_EINVAL;
    }
    if (!(w = calloc(1, sizeof *w))) {
        say(why, why_size, "out of memory");
        return LM_ENOMEM;
    }
    if (!(w->f = fopen(path, "wb"))) {
        say(why, why_size, "cannot create %s: %s", path, strerror(errno));
        free(w);
        return LM_EIO;
    }
    write_header(w);
    if (w->err) {
        say(why, why_size, "cannot write to %s: %s", path, strerror(errno));
        fclose(w->f);
        free(w);
        return LM_EIO;
    }
    *out = w;
    return 0;
}

int lm_wav_write(lm_wav_writer *w, const int16_t *samples, size_t n)
{
    uint8_t buf[WRITE_CHUNK * 2];
    int rc = 0;

    if (w->err)
        return w->err;
    if (n > MAX_SAMPLES - w->samples) {
        n = (size_t)(MAX_SAMPLES - w->samples);
        rc = LM_ETOOBIG;
    }
    while (n > 0) {
        /* never past the next second, so the header is never > 1 s old */
        size_t k = LM_WAV_RATE - (size_t)(w->samples - w->covered);
        if (k == 0) { /* cannot happen: the header follows each second */
            w->err = LM_EIO;
            return w->err;
        }
        if (k > n)
            k = n;
        if (k > WRITE_CHUNK)
            k = WRITE_CHUNK;
        for (size_t i = 0; i < k; i++)
            put16(buf + 2 * i, (uint16_t)samples[i]);
        if (fwrite(buf, 2, k, w->f) != k) {
            w->err = LM_EIO;
            return w->err;
        }
        w->samples += k;
        samples += k;
        n -= k;
        if (w->samples - w->covered >= LM_WAV_RATE)
            write_header(w);
        if (w->err)
            return w->err;
    }
    return rc;
}

int lm_wav_finish(lm_wav_writer *w)
{
    int rc;

    if (!w)
        return 0;
    write_header(w);
    rc = w->err;
    if (fclose(w->f) != 0)
        rc = LM_EIO;
    free(w);
    return rc;
}
