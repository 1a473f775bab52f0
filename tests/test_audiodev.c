/* test_audiodev.c - tests for ui/dev/audiodev.c's choices (no device is
 * opened: a test never grabs a sound card).
 *
 * What a node opens for each combination of device options, as a table;
 * "none" opens nothing on either side; a file or synthetic spec that is
 * not one is refused with a sentence; a speaker spec that is a source
 * only is refused. (PortAudio is never started here: ALSA's pulse hook,
 * which it loads, leaks a few KB that a leak checker would put on us.) */
#include <string.h>

#include "dev/audiodev.h"
#include "check.h"
#include "err.h"

#define S(x) (x) /* a spec as main.c makes it, or NULL */

static const char *show(const char *s) { return s ? s : "(none)"; }

static void defaults_table(void)
{
    static const struct {
        const char *mic, *spk;     /* from the options */
        const char *want_mic, *want_spk;
    } rows[] = {
        {NULL, NULL, "auto", "auto"},                 /* just `lanmeet` */
        {"dev:usb", NULL, "dev:usb", "auto"},         /* --mic usb */
        {NULL, "dev:3", "auto", "dev:3"},             /* --speaker 3 */
        {"dev:a", "dev:b", "dev:a", "dev:b"},
        {"file:x.wav", NULL, "file:x.wav", NULL},     /* --mic-file */
        {"impulse:500", NULL, "impulse:500", NULL},   /* --mic-synth */
        {NULL, "file:o.wav", NULL, "file:o.wav"},     /* --speaker-file */
        {"file:x.wav", "dev:b", "file:x.wav", "dev:b"},
        {"dev:a", "file:o.wav", "dev:a", "file:o.wav"},
        {"none", NULL, "none", NULL},                 /* --mic none */
        {NULL, "none", NULL, "none"},
        {"none", "none", "none", "none"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const char *m = S(rows[i].mic), *s = S(rows[i].spk);
        lm_audiodev_defaults(&m, &s);
        bool ok = (m == rows[i].want_mic ||
                   (m && rows[i].want_mic && !strcmp(m, rows[i].want_mic))) &&
                  (s == rows[i].want_spk ||
                   (s && rows[i].want_spk && !strcmp(s, rows[i].want_spk)));
        if (!ok)
            fprintf(stderr, "row %zu: got %s / %s, expected %s / %s\n", i,
                    show(m), show(s), show(rows[i].want_mic),
                    show(rows[i].want_spk));
        CHECK(ok);
    }
}

static void none_opens_nothing(void)
{
    lm_audio_io io = {.ops = (const lm_audio_io_ops *)1};
    char why[128] = "";
    CHECK_EQ_INT(lm_audiodev_mic("none", &io, why, sizeof why), 0);
    CHECK(io.ops == NULL && io.dev == NULL);
    io.ops = (const lm_audio_io_ops *)1;
    CHECK_EQ_INT(lm_audiodev_speaker("none", &io, why, sizeof why), 0);
    CHECK(io.ops == NULL && io.dev == NULL);
}

static void refusals(void)
{
    lm_audio_io io;
    char why[256] = "";
    CHECK_EQ_INT(lm_audiodev_mic("tone:nope", &io, why, sizeof why),
                 LM_EINVAL);
    CHECK(strstr(why, "synthetic") != NULL);
    CHECK(io.ops == NULL);
    why[0] = '\0';
    CHECK_EQ_INT(lm_audiodev_speaker("impulse:500", &io, why, sizeof why),
                 LM_EINVAL);
    CHECK(strstr(why, "not a speaker") != NULL);
    why[0] = '\0';
    CHECK(lm_audiodev_mic("file:/nonexistent/x.wav", &io, why, sizeof why) < 0);
    CHECK(why[0] != '\0');
}

int main(void)
{
    RUN(defaults_table);
    RUN(none_opens_nothing);
    RUN(refusals);
    return check_report();
}
