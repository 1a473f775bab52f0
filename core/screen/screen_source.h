/* screen_source.h - a screen to share, whatever is behind it.
 *
 * Backends live in ui/dev/ (X11 with XShm, a synthetic slide show for the
 * tests) and fill this table of ops; the screen service never knows which
 * one it drives. A picture is 32 bits a pixel, B G R X in memory (X11's
 * ZPixmap at depth 24 on a little-endian machine, TurboJPEG's BGRX).
 *
 * Every op runs on the one thread that owns the source once it is handed
 * to the service (its capture thread), which also closes it, once.
 *
 *   list    the windows one could share, by title
 *   select  what grab takes from now on: 0 the whole screen, else a
 *           window id from list
 *   grab    the current picture of it, borrowed until the next grab
 *
 * A window that moves or is covered is grabbed where it is now, as it is
 * drawn (a covered part may read as whatever covers it); one that resizes
 * gives a picture of its new size; one that closes makes grab return
 * LM_ENOTFOUND, and the service ends the share. */
#ifndef LM_SCREEN_SOURCE_H
#define LM_SCREEN_SOURCE_H

#include <stddef.h>
#include <stdint.h>

typedef struct lm_screen_dev lm_screen_dev; /* each backend's own */

#define LM_SCREEN_TITLE_MAX 128 /* bytes of a title kept, UTF-8 */
#define LM_SCREEN_MAX_W 1920    /* the largest picture shared */
#define LM_SCREEN_MAX_H 1080

typedef struct lm_screen_window {
    uint64_t id; /* the backend's (an X11 window id); never 0 */
    char title[LM_SCREEN_TITLE_MAX + 1]; /* UTF-8, as the window says */
    uint16_t w, h;
} lm_screen_window;

/* One grabbed picture: w x h pixels (at most LM_SCREEN_MAX_W x H; a larger
 * screen is cropped from its top left), rows `stride` bytes apart. */
typedef struct lm_screen_frame {
    const uint8_t *bgrx;
    size_t stride;
    unsigned w, h;
    int64_t capture_us; /* CLOCK_MONOTONIC when it was taken */
} lm_screen_frame;

typedef struct lm_screen_source_ops {
    const char *name; /* "x11", "slides" */
    /* Up to max windows into out, *n set to how many; 0 or LM_E*. */
    int (*list)(lm_screen_dev *d, lm_screen_window *out, size_t max,
                size_t *n);
    /* 0, LM_ENOTFOUND (no such window) or LM_E*. */
    int (*select)(lm_screen_dev *d, uint64_t window);
    /* 0, LM_ENOTFOUND (the window selected closed) or LM_E* (the display
     * is gone). */
    int (*grab)(lm_screen_dev *d, lm_screen_frame *out);
    void (*close)(lm_screen_dev *d); /* frees; NULL-safe */
} lm_screen_source_ops;

typedef struct lm_screen_source {
    const lm_screen_source_ops *ops; /* NULL: none (this node only views) */
    lm_screen_dev *dev;
} lm_screen_source;

#endif
