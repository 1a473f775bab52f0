/* pattern.h - the test pattern: a picture that says which frame it is
 * and when it was captured, so delay and loss are measured from pixels.
 *
 * The picture has three parts, each a fraction of its size so it reads
 * the same at any scale: a stripe across the top fifth, a moving picture
 * in the middle three fifths (diagonal waves, a bouncing checkered box
 * and shifting colours, so JPEG has real work as with a camera), and a
 * second copy of the stripe across the bottom fifth. A stripe is 28 x 4
 * black or white cells holding 112 bits: the frame counter (32 bits), the
 * capture time (64 bits, microseconds) and a CRC-16 of both, little-endian,
 * least significant bit first, row by row. Cells are big (22 x 18 pixels
 * at 640x360, still 5 x 4 at 160x90), so the stripe survives JPEG at
 * quality 30 and a 4:1 downscale. Two copies, because a lost band heals
 * from the previous frame: a stripe mixing two frames fails its CRC, and
 * the other copy usually has come whole.
 *
 * The reader takes the mean of each cell's middle half and refuses a cell
 * too close to grey or a CRC that does not match: "unreadable", never a
 * wrong value (a false read is a 1 in 65536 chance per damaged stripe
 * that still looks black and white).
 *
 * Pure: no allocation, no clock; any thread. */
#ifndef LM_VIDEO_PATTERN_H
#define LM_VIDEO_PATTERN_H

#include <stdint.h>

#include "image.h"

#define LM_PATTERN_COLS 28
#define LM_PATTERN_ROWS 4
#define LM_PATTERN_W_MIN 56 /* two pixels a cell across */
#define LM_PATTERN_H_MIN 40 /* two pixels a cell down, in a fifth */

/* Paints the pattern of frame `counter` captured at time_us over all of
 * im. 0, or LM_EINVAL for a bad image or one under the minimum size. */
int lm_pattern_paint(lm_image *im, uint32_t counter, uint64_t time_us);
/* The same in two steps, for a source that stamps a frame when it is
 * ready, as a camera does at the end of its readout: the moving picture
 * (most of the work, ~1.5 ms at 640x360), then the two stripes (cheap).
 * Each 0 or LM_EINVAL as above. */
int lm_pattern_paint_picture(lm_image *im, uint32_t counter);
int lm_pattern_paint_stripes(lm_image *im, uint32_t counter,
                             uint64_t time_us);

/* Reads the counter and the time from a picture of the pattern, of any
 * size at least the minimum (top stripe first, then bottom). 0, or
 * LM_EPROTO when neither stripe reads (then *counter and *time_us are
 * left alone), LM_EINVAL for a bad image. */
int lm_pattern_read(const lm_image *im, uint32_t *counter, uint64_t *time_us);

#endif
