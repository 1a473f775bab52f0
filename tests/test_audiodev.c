/* test_audiodev.c - tests for ui/dev/audiodev.c's choices (no device is
 * opened: a test never grabs a sound card).
 *
 * What a node opens for each combination of device options, as a table;
 * "none" opens nothing on either side; a file or synthetic spec that is
 * not one is refused with a sentence; a speaker spec that is a source
 * only is refused; which backend a sound spec names (a table); which of a
 * sound server's devices a name means (a table). (PortAudio is never started here: ALSA's pulse hook,
 * which it loads, leaks a few KB that a leak checker would put on us.) */
#include <string.h>

#include "dev/audiodev.h"
#include "dev/pulse.h"
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

static void route_table(void)
{
    static const struct {
        const char *spec;
        lm_audiodev_backend b;
        const char *name;
    } rows[] = {
        {"auto", LM_AUDIODEV_EITHER, ""},
        {"dev:", LM_AUDIODEV_EITHER, ""},              /* the default */
        {"dev:usb", LM_AUDIODEV_EITHER, "usb"},        /* --mic usb */
        {"dev:3", LM_AUDIODEV_PORTAUDIO, "3"},         /* an index */
        {"dev:12a", LM_AUDIODEV_EITHER, "12a"},        /* not an index */
        {"dev:pulse", LM_AUDIODEV_PULSE, ""},
        {"dev:pulse:", LM_AUDIODEV_PULSE, ""},
        {"dev:pulse:a_mic", LM_AUDIODEV_PULSE, "a_mic"},
        {"dev:pulsex", LM_AUDIODEV_EITHER, "pulsex"},  /* a name, not the backend */
        {"dev:portaudio:pulse", LM_AUDIODEV_PORTAUDIO, "pulse"},
        {"dev:portaudio:", LM_AUDIODEV_PORTAUDIO, ""},
        {"dev:portaudio", LM_AUDIODEV_EITHER, "portaudio"},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const char *name = NULL;
        lm_audiodev_backend b = lm_audiodev_route(rows[i].spec, &name);
        if (b != rows[i].b || !name || strcmp(name, rows[i].name) != 0)
            fprintf(stderr, "row %zu (%s): got %d '%s'\n", i, rows[i].spec,
                    (int)b, name ? name : "(null)");
        CHECK(b == rows[i].b);
        CHECK(name && strcmp(name, rows[i].name) == 0);
    }
}

static void pick_table(void)
{
    static const char *const names[] = {
        "alsa_input.usb-Blue_Yeti-00.analog-stereo",
        "alsa_input.pci-0000_00_1f.3.analog-stereo",
        "a_mic",
        "a_mic_2",
        NULL, /* a hole the server left */
    };
    static const char *const descs[] = {
        "Yeti Stereo Microphone Analog Stereo",
        "Built-in Audio Analog Stereo",
        NULL,
        "Second Mic",
        "ghost",
    };
    static const struct {
        const char *want;
        int index;
    } rows[] = {
        {"a_mic", 2},        /* an exact name beats a_mic_2 */
        {"A_MIC", 2},        /* a piece, case-insensitive: a_mic first */
        {"a_mic_2", 3},
        {"usb", 0},          /* a piece of a name */
        {"built-in", 1},     /* a piece of a description */
        {"second", 3},
        {"analog", 0},       /* of several pieces, the first */
        {"ghost", -1},       /* a NULL name is no device */
        {"hdmi", -1},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        int got = lm_pulse_pick(names, descs, 5, rows[i].want);
        if (got != rows[i].index)
            fprintf(stderr, "pick '%s': got %d\n", rows[i].want, got);
        CHECK_EQ_INT(got, rows[i].index);
    }
    CHECK_EQ_INT(lm_pulse_pick(names, NULL, 4, "built-in"), -1);
    CHECK_EQ_INT(lm_pulse_pick(names, NULL, 0, "a_mic"), -1);
}

int main(void)
{
    RUN(defaults_table);
    RUN(none_opens_nothing);
    RUN(refusals);
    RUN(route_table);
    RUN(pick_table);
    return check_report();
}
