/* devloop.c - a sound device's own delay: what its microphone hears is
 * played straight to its speaker, one frame at a time, as a node would
 * (read a paced frame, write it). Run inside the rig (run.sh --route), the
 * click's way from the mic's channel to the speaker's channel is the
 * backend's capture plus playback delay, with no codec, network or jitter
 * buffer in between.
 *
 *   devloop --mic SPEC --speaker SPEC [--seconds S] [--frame-ms 2.5|5|10]
 *
 * SPECs are those of ui/dev/audiodev.h ("dev:pulse:a_mic",
 * "dev:portaudio:pulse", ...). The loop ends after S seconds (default 30,
 * at most 600). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dev/audiodev.h"
#include "err.h"

int main(int argc, char **argv)
{
    const char *mic = NULL, *spk = NULL;
    double seconds = 30, frame_ms = 2.5;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--mic") == 0)
            mic = argv[i + 1];
        else if (strcmp(argv[i], "--speaker") == 0)
            spk = argv[i + 1];
        else if (strcmp(argv[i], "--seconds") == 0)
            seconds = atof(argv[i + 1]);
        else if (strcmp(argv[i], "--frame-ms") == 0)
            frame_ms = atof(argv[i + 1]);
    }
    if (!mic || !spk || seconds <= 0 || seconds > 600 ||
        (frame_ms != 2.5 && frame_ms != 5 && frame_ms != 10)) {
        fprintf(stderr, "usage: devloop --mic SPEC --speaker SPEC "
                "[--seconds 1-600] [--frame-ms 2.5|5|10]\n");
        return 2;
    }
    char why[256] = "";
    lm_audio_io in, out;
    if (lm_audiodev_mic(mic, &in, why, sizeof why) < 0 || !in.ops) {
        fprintf(stderr, "devloop: microphone: %s\n", why);
        return 1;
    }
    if (lm_audiodev_speaker(spk, &out, why, sizeof why) < 0 || !out.ops) {
        fprintf(stderr, "devloop: speaker: %s\n", why);
        in.ops->close(in.dev);
        return 1;
    }
    if (!in.ops->paced) {
        fprintf(stderr, "devloop: the microphone must be a device\n");
        in.ops->close(in.dev);
        out.ops->close(out.dev);
        return 2;
    }
    size_t n = (size_t)(frame_ms * 48);
    long frames = (long)(seconds * 1000 / frame_ms);
    int16_t pcm[480];
    int rc = 0;
    for (long f = 0; f < frames && rc == 0; f++) {
        rc = in.ops->read(in.dev, pcm, n);
        if (rc == 0)
            rc = out.ops->write(out.dev, pcm, n);
    }
    if (rc < 0)
        fprintf(stderr, "devloop: device failed: %s\n", lm_strerror(rc));
    in.ops->close(in.dev);
    out.ops->close(out.dev);
    return rc < 0 ? 1 : 0;
}
