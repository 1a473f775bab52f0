/* wav.h - WAV files in and out, as the app's audio: 48 kHz mono int16.
 *
 * The reader takes RIFF/WAVE files of integer PCM (8, 16, 24 or 32 bits)
 * or IEEE float (32 bits), plain or WAVE_FORMAT_EXTENSIBLE, at any rate
 * from 8000 to 192000 Hz, with 1 to 8 channels; more than one channel is
 * averaged into one. Other rates are converted with SpeexDSP's resampler
 * (quality 5); 48 kHz files are read sample for sample. Reading loops: at
 * the end of the data it goes on from the start, through the resampler, so
 * the loop has no click of its own (this is --mic-file).
 *
 * Chunks other than "fmt " and "data" are skipped (odd sizes padded to
 * even, as RIFF says). A data chunk whose size field is 0 or 0xFFFFFFFF,
 * as a writer killed before it wrote its header leaves, is read to the end
 * of the file. Anything else that does not add up (a chunk running past the
 * end of the file, data before fmt, zero channels or rate, sizes that
 * disagree) is refused with a sentence saying what is wrong; the reader
 * never reads outside the file or the buffer it was given. The byte-rate
 * field is not checked (writers get it wrong and nothing depends on it).
 *
 * The writer writes 48 kHz mono 16-bit PCM and rewrites its header after
 * every second of audio and on close, so a process killed at any moment
 * leaves a valid file that lost at most the last second (the header is
 * what readers trust; bytes past it are ignored by them). A file is capped
 * at what a RIFF size field can say, about 12.4 hours.
 *
 * Threads: a reader or writer belongs to one thread at a time; no call
 * locks. Both do file I/O, so neither belongs in a real-time audio
 * callback: run them on a thread that feeds the callback's ring.
 * Errors: calls return 0 or a negative LM_E* code (core/err.h); the open
 * calls also write a sentence for a person into why (why_size bytes, may
 * be 0 when why is NULL). */
#ifndef LM_WAV_H
#define LM_WAV_H

#include <stddef.h>
#include <stdint.h>

#define LM_WAV_RATE 48000 /* what the reader gives and the writer takes */
#define LM_WAV_WHY 160    /* enough for any why of this module */

typedef struct lm_wav_reader lm_wav_reader; /* opaque */
typedef struct lm_wav_writer lm_wav_writer; /* opaque */

/* What a file holds, as its header says it. */
typedef struct lm_wav_info {
    uint32_t rate;     /* the file's sample rate, Hz */
    uint16_t channels; /* the file's channels (averaged on reading) */
    uint16_t bits;     /* bits per sample: 8, 16, 24 or 32 */
    int is_float;      /* 1: IEEE float samples, 0: integer PCM */
    uint64_t frames;   /* sample frames in the data, at the file's rate */
    uint64_t length;   /* one pass at 48 kHz: ceil(frames * 48000 / rate) */
} lm_wav_info;

/* Opens path for reading. On success *out is the reader; on failure *out is
 * NULL, the return is LM_EIO (cannot open or read), LM_EPROTO (not a WAV
 * file we can read), LM_ENOMEM, or LM_EINVAL (NULL argument), and why says
 * what happened. */
int lm_wav_open(const char *path, lm_wav_reader **out, char *why,
                size_t why_size);

/* The same from size bytes at data, which the reader borrows: they must
 * stay unchanged until lm_wav_close(). */
int lm_wav_open_mem(const void *data, size_t size, lm_wav_reader **out,
                    char *why, size_t why_size);

/* The file's format; valid from open to close. */
const lm_wav_info *lm_wav_info_of(const lm_wav_reader *r);

/* Fills out with exactly n samples at 48 kHz mono, going on from the start
 * of the data at its end. Returns 0, or LM_EIO when the file cannot be read
 * any more (it shrank to nothing, or the disk said no); then out is filled
 * with silence and every later call fails the same way. */
int lm_wav_read(lm_wav_reader *r, int16_t *out, size_t n);

/* Closes the file and frees the reader. NULL-safe. */
void lm_wav_close(lm_wav_reader *r);

/* Creates (or truncates) path for 48 kHz mono 16-bit audio and writes a
 * header saying it is empty. Returns 0 with *out set, or LM_EIO / LM_ENOMEM
 * / LM_EINVAL with *out NULL and why saying what happened. */
int lm_wav_create(const char *path, lm_wav_writer **out, char *why,
                  size_t why_size);

/* Appends n samples. Returns 0; LM_ETOOBIG once the file is full (nothing
 * more is written, the file stays valid); LM_EIO when a write failed, which
 * is sticky (the file keeps whatever header was last written). */
int lm_wav_write(lm_wav_writer *w, const int16_t *samples, size_t n);

/* Rewrites the header to cover everything written, closes the file and
 * frees the writer. Returns 0, or LM_EIO when any write, the header or the
 * close failed. NULL-safe (returns 0). */
int lm_wav_finish(lm_wav_writer *w);

#endif
