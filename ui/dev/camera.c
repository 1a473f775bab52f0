/* camera.c - a camera by name (camera.h). */
#include "camera.h"

#include <stdlib.h>
#include <string.h>

#include "err.h"

/* "PATH@FPS": the rate split off (0 when none); path is changed in place */
static unsigned split_fps(char *path)
{
    char *at = strrchr(path, '@');
    if (!at)
        return 0;
    char *end;
    long v = strtol(at + 1, &end, 10);
    if (end == at + 1 || *end || v < 1 || v > 60)
        return 0;
    *at = '\0';
    return (unsigned)v;
}

int lm_camera_open(const char *spec, lm_video_source *out, char *why,
                   size_t cap)
{
    memset(out, 0, sizeof *out);
    if (!spec || !*spec) {
        snprintf(why, cap, "no camera named");
        return LM_EINVAL;
    }
    if (strcmp(spec, "pattern") == 0)
        return lm_campattern_open(LM_CAMERA_W, LM_CAMERA_H, LM_CAMERA_FPS,
                                  out);
    if (strncmp(spec, "file:", 5) == 0) {
        char path[4096];
        if (strlen(spec + 5) >= sizeof path) {
            snprintf(why, cap, "the file name is too long");
            return LM_EINVAL;
        }
        snprintf(path, sizeof path, "%s", spec + 5);
        unsigned fps = split_fps(path);
        return lm_camfile_open(path, fps ? fps : LM_CAMERA_FPS, out, why,
                               cap);
    }
    if (spec[0] == '/')
        return lm_v4l2_open(spec, out, why, cap);
    snprintf(why, cap, "unknown camera '%.200s': try pattern, a V4L2 device "
             "such as /dev/video0, or --camera-file F.mjpeg", spec);
    return LM_EINVAL;
}

int lm_camera_list(FILE *f)
{
    fprintf(f, "cameras:\n");
    int n = lm_v4l2_list(f);
    if (n == 0)
        fprintf(f, "  (no V4L2 camera found)\n");
    fprintf(f, "  also: --camera pattern (a test pattern), "
               "--camera-file F.mjpeg\n");
    return 0;
}
