/* camera.h - the cameras a front end can name, as lm_video_source.
 *
 *   "pattern"          the test pattern (core/video/pattern.h): 640x360
 *                      at 30 fps, each frame painted with its counter and
 *                      its CLOCK_MONOTONIC capture time (campattern.c)
 *   "file:PATH"        concatenated JPEGs (an .mjpeg file), looped, at
 *                      30 fps unless "file:PATH@FPS" (camfile.c)
 *   "/dev/videoN"      a V4L2 camera (v4l2.c), in the mode camfmt.h
 *                      chooses for 640x360 at 30 fps
 *
 * The pattern and files are only used when named. Any thread; a source
 * returned belongs to the caller until it is handed to the service. */
#ifndef LM_DEV_CAMERA_H
#define LM_DEV_CAMERA_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "video/video_source.h"

#define LM_CAMERA_W 640 /* the picture a node sends by default */
#define LM_CAMERA_H 360
#define LM_CAMERA_FPS 30

/* Returns 0 with *out set, or an LM_E* code with a sentence in why. */
int lm_camera_open(const char *spec, lm_video_source *out, char *why,
                   size_t cap);

/* Prints the V4L2 cameras (and that the pattern and files exist) to f.
 * Returns 0 (no camera is no error). */
int lm_camera_list(FILE *f);

/* ---- the backends (camera.c chooses among them) -------------------------- */
int lm_campattern_open(unsigned w, unsigned h, unsigned fps,
                       lm_video_source *out);
int lm_camfile_open(const char *path, unsigned fps, lm_video_source *out,
                    char *why, size_t cap);
int lm_v4l2_open(const char *path, lm_video_source *out, char *why,
                 size_t cap);
int lm_v4l2_list(FILE *f);

/* Pure, for the file source and its test: the JPEGs in buf, walked marker
 * by marker (SOI, segments by their lengths, the entropy-coded data up to
 * the next marker that is not a restart or a stuffed byte, EOI). Bytes
 * between frames are skipped up to the next SOI; a frame cut short at the
 * end is left out. Writes up to max (offset, length) pairs and returns how
 * many frames it found (at most max). */
size_t lm_camfile_index(const uint8_t *buf, size_t len, size_t *off,
                        size_t *flen, size_t max);

#endif
