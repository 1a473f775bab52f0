/* bench_hub.c - what the hub's audio costs per tick: a benchmark, not a test.
 *
 * For 10 members of whom 1, 3 or 10 speak, at each frame size, it runs the
 * hub's work for one frame as the audio service does it: decode every
 * speaker's Opus frame, plan the mixes (mix.h), render each group and
 * encode it once (a lone speaker is forwarded: no decode or encode), and
 * prints the mean time per tick and the share of one core. The baseline
 * in the same run is the cost of one encode and one decode, the work of a
 * member. The speakers talk a speech-like signal, so Opus does real work.
 *
 *   bench_hub [--ticks N]
 */
#include <math.h>
#include <stdbool.h>
#include <opus/opus.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audio/mix.h"

#define PI 3.14159265358979323846

#define MEMBERS 10

static volatile long sink; /* keeps the codec calls' results alive */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void voice(int16_t *pcm, size_t n, unsigned who, unsigned long t0)
{
    for (size_t i = 0; i < n; i++) {
        double t = (double)(t0 + i) / 48000.0;
        double f0 = 120.0 + 15.0 * who;
        double env = 0.5 + 0.5 * sin(2 * PI * 3.0 * t + who);
        double v = 0;
        for (int h = 1; h <= 4; h++)
            v += sin(2 * PI * f0 * h * t) / h;
        pcm[i] = (int16_t)(8000.0 * env * v);
    }
}

static OpusEncoder *enc_new(void)
{
    int err;
    OpusEncoder *e = opus_encoder_create(48000, 1,
                                         OPUS_APPLICATION_RESTRICTED_LOWDELAY,
                                         &err);
    opus_encoder_ctl(e, OPUS_SET_BITRATE(48000));
    return e;
}

/* Seconds per tick of the hub's work with `speakers` of MEMBERS talking. */
static double hub_tick_cost(size_t samples, unsigned speakers, int ticks)
{
    OpusEncoder *src[MEMBERS], *genc[MEMBERS];
    OpusDecoder *dec[MEMBERS];
    int err;
    for (unsigned i = 0; i < MEMBERS; i++) {
        src[i] = enc_new();
        genc[i] = enc_new();
        dec[i] = opus_decoder_create(48000, 1, &err);
    }
    lm_mix *mix = lm_mix_new(samples);
    int16_t pcm[MEMBERS][480], out[480];
    uint8_t pkt[MEMBERS][1275], enc_out[1275];
    int len[MEMBERS];
    uint64_t talking = speakers >= 64 ? ~0ull : (1ull << speakers) - 1;
    double spent = 0;
    for (int t = 0; t < ticks; t++) {
        /* the members' own encodes happen on their machines: not timed */
        for (unsigned i = 0; i < speakers; i++) {
            voice(pcm[i], samples, i, (unsigned long)t * samples);
            len[i] = opus_encode(src[i], pcm[i], (int)samples, pkt[i],
                                 sizeof pkt[i]);
        }
        double t0 = now_s();
        lm_mix_plan plan;
        lm_mix_plan_make(&plan, (1ull << MEMBERS) - 1, talking, LM_MIX_FORWARD);
        const int16_t *frames[LM_MIX_MAX_MEMBERS] = {0};
        bool decode = false;
        for (size_t g = 0; g < plan.count; g++)
            decode |= plan.group[g].forward_from == LM_MIX_NO_FORWARD;
        for (unsigned i = 0; decode && i < speakers; i++) {
            if (opus_decode(dec[i], pkt[i], len[i], pcm[i], (int)samples,
                            0) != (int)samples)
                memset(pcm[i], 0, samples * sizeof pcm[i][0]);
            frames[i] = pcm[i];
        }
        if (decode)
            lm_mix_begin(mix, frames, talking);
        for (size_t g = 0; g < plan.count; g++) {
            const lm_mix_group *gr = &plan.group[g];
            if (gr->forward_from != LM_MIX_NO_FORWARD)
                continue; /* the packet goes out as it came */
            lm_mix_render(mix, gr->speakers, out);
            sink += opus_encode(genc[g % MEMBERS], out, (int)samples,
                                enc_out, sizeof enc_out);
        }
        spent += now_s() - t0;
    }
    for (unsigned i = 0; i < MEMBERS; i++) {
        opus_encoder_destroy(src[i]);
        opus_encoder_destroy(genc[i]);
        opus_decoder_destroy(dec[i]);
    }
    lm_mix_free(mix);
    return spent / ticks;
}

/* A member's codec work per tick: one encode, one decode. */
static double member_cost(size_t samples, int ticks)
{
    int err;
    OpusEncoder *e = enc_new();
    OpusDecoder *d = opus_decoder_create(48000, 1, &err);
    int16_t pcm[480];
    uint8_t pkt[1275];
    double t0 = now_s();
    for (int t = 0; t < ticks; t++) {
        voice(pcm, samples, 0, (unsigned long)t * samples);
        int n = opus_encode(e, pcm, (int)samples, pkt, sizeof pkt);
        sink += opus_decode(d, pkt, n, pcm, (int)samples, 0);
    }
    double each = (now_s() - t0) / ticks;
    opus_encoder_destroy(e);
    opus_decoder_destroy(d);
    return each;
}

int main(int argc, char **argv)
{
    int ticks = 2000;
    if (argc == 3 && strcmp(argv[1], "--ticks") == 0)
        ticks = atoi(argv[2]);
    if (ticks < 10 || ticks > 1000000) {
        fprintf(stderr, "usage: bench_hub [--ticks 10..1000000]\n");
        return 2;
    }
    static const unsigned frame_us[] = {2500, 5000, 10000};
    static const unsigned talkers[] = {1, 3, 10};
    printf("hub of %d members, Opus restricted-lowdelay 48 kbit/s, %d ticks "
           "each\n", MEMBERS, ticks);
    for (size_t f = 0; f < 3; f++) {
        size_t samples = frame_us[f] * 48 / 1000;
        double base = member_cost(samples, ticks);
        printf("frame %.1f ms: a member's encode+decode %.1f us/tick "
               "(%.2f %% of a core)\n", frame_us[f] / 1000.0, base * 1e6,
               100.0 * base / (frame_us[f] / 1e6));
        for (size_t k = 0; k < 3; k++) {
            double c = hub_tick_cost(samples, talkers[k], ticks);
            printf("  %2u speaking: hub %.1f us/tick, %.2f %% of a core, "
                   "%.1f x a member\n", talkers[k], c * 1e6,
                   100.0 * c / (frame_us[f] / 1e6), c / base);
        }
    }
    return 0;
}
