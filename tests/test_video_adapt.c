/* test_video_adapt.c - tests for core/video/adapt.c, step by step.
 *
 * Each table is a run of one-second reports from a viewer that asked for
 * 640x360 at 30 fps, and after each the change and the target expected:
 * 10 % loss lowers quality after 3 s, one step per 3 s down to the floor,
 * and no further (noise that quality cannot cure leaves rate and size
 * alone), then 5 s clean starts raising and quality is back 7 s after the
 * loss stopped; a capped link (60 % loss) drops quality to the floor at
 * once, then the rate, then the size, one step a second; a slow decoder
 * costs rate, then size, never quality; the band between clean and mild
 * moves nothing; queueing delay counts as trouble; a blackout (frames
 * sent, none shown) is severe; a rise that overshoots doubles the next
 * wait; and a new ask keeps the steps. */
#include <stdbool.h>
#include <stdint.h>

#include "check.h"
#include "video/adapt.h"

enum { H = LM_ADAPT_HOLD, D = LM_ADAPT_DOWN, U = LM_ADAPT_UP };

typedef struct row {
    int t;              /* seconds: the report's period ends then */
    unsigned loss_pm;   /* of 1000 bands */
    unsigned queue_ms;
    unsigned decode_us, budget_us;
    bool blackout;      /* 30 frames sent, none shown */
    int change;
    unsigned q, fps, w, h;
} row;

static void run(lm_adapt *a, const row *r, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++) {
        lm_adapt_report rep = {
            .period_ms = 1000, .expected = 1000, .lost = r[i].loss_pm,
            .frames = r[i].blackout ? 0 : 30, .sent_frames = 30,
            .decode_us = r[i].decode_us, .budget_us = r[i].budget_us,
            .queue_us = r[i].queue_ms * 1000,
        };
        if (r[i].blackout)
            rep.expected = rep.lost = 0;
        int got = (int)lm_adapt_on_report(a, &rep, (int64_t)r[i].t * 1000000);
        lm_adapt_target t;
        lm_adapt_current(a, &t);
        bool ok = got == r[i].change && t.quality == r[i].q &&
                  t.fps == r[i].fps && t.w == r[i].w && t.h == r[i].h;
        if (!ok)
            fprintf(stderr, "%s t=%d: change %d q %u fps %u %ux%u\n", name,
                    r[i].t, got, t.quality, t.fps, t.w, t.h);
        CHECK(ok);
    }
}

#define FULL 640, 360

static void test_noise_loss(void)
{
    static const row r[] = {
        /* t, loss, queue, decode, budget, blackout: change, q, fps, size */
        {1, 100, 0, 0, 0, false, H, 75, 30, FULL},
        {2, 100, 0, 0, 0, false, H, 75, 30, FULL},
        {3, 100, 0, 0, 0, false, D, 60, 30, FULL}, /* 3 s of 10 % */
        {4, 100, 0, 0, 0, false, H, 60, 30, FULL},
        {5, 100, 0, 0, 0, false, H, 60, 30, FULL},
        {6, 100, 0, 0, 0, false, D, 45, 30, FULL},
        {9, 100, 0, 0, 0, false, D, 30, 30, FULL}, /* the floor */
        {12, 100, 0, 0, 0, false, H, 30, 30, FULL}, /* and no further */
        {15, 100, 0, 0, 0, false, H, 30, 30, FULL},
        {16, 0, 0, 0, 0, false, H, 30, 30, FULL}, /* loss stops at 15 */
        {17, 0, 0, 0, 0, false, H, 30, 30, FULL},
        {18, 0, 0, 0, 0, false, H, 30, 30, FULL},
        {19, 0, 0, 0, 0, false, H, 30, 30, FULL},
        {20, 0, 0, 0, 0, false, U, 45, 30, FULL}, /* 5 s clean */
        {21, 0, 0, 0, 0, false, U, 60, 30, FULL},
        {22, 0, 0, 0, 0, false, U, 75, 30, FULL}, /* 7 s after */
        {23, 0, 0, 0, 0, false, H, 75, 30, FULL}, /* nothing more to raise */
    };
    lm_adapt a;
    lm_adapt_init(&a, NULL, 640, 360, 30);
    run(&a, r, sizeof r / sizeof r[0], "noise");
    CHECK_EQ_INT(a.downs, 3);
    CHECK_EQ_INT(a.ups, 3);
}

static void test_capped_link(void)
{
    static const row r[] = {
        {1, 600, 0, 0, 0, false, D, 30, 30, FULL},  /* quality to the floor */
        {2, 600, 0, 0, 0, false, D, 30, 15, FULL},  /* half the rate */
        {3, 600, 0, 0, 0, false, D, 30, 10, FULL},  /* a third */
        {4, 400, 0, 0, 0, false, D, 30, 10, 320, 180},
        {5, 250, 0, 0, 0, false, D, 30, 10, 160, 90},
        {6, 250, 0, 0, 0, false, H, 30, 10, 160, 90}, /* the bottom */
        {7, 0, 0, 0, 0, false, H, 30, 10, 160, 90},
        {11, 0, 0, 0, 0, false, U, 45, 10, 160, 90}, /* 5 s clean from 6 */
        {12, 0, 0, 0, 0, false, U, 60, 10, 160, 90},
        {13, 0, 0, 0, 0, false, U, 75, 10, 160, 90},
        {14, 0, 0, 0, 0, false, U, 75, 15, 160, 90},
        {15, 0, 0, 0, 0, false, U, 75, 30, 160, 90},
        {16, 0, 0, 0, 0, false, U, 75, 30, 320, 180},
        /* 320x180 overshoots: severe a second later, within the probe */
        {17, 300, 0, 0, 0, false, D, 30, 30, 320, 180},
        {18, 0, 0, 0, 0, false, H, 30, 30, 320, 180},
        /* clean again from 17: the wait is now 10 s, not 5 */
        {22, 0, 0, 0, 0, false, H, 30, 30, 320, 180},
        {26, 0, 0, 0, 0, false, H, 30, 30, 320, 180},
        {27, 0, 0, 0, 0, false, U, 45, 30, 320, 180},
        /* and this rise holds: judged after 3 s, the wait halves again */
        {28, 0, 0, 0, 0, false, U, 60, 30, 320, 180},
    };
    lm_adapt a;
    lm_adapt_init(&a, NULL, 640, 360, 30);
    run(&a, r, sizeof r / sizeof r[0], "capped");
    CHECK_EQ_INT(a.up_hold, 10000000);
    row more[] = {
        {31, 0, 0, 0, 0, false, U, 75, 30, 320, 180},
        {32, 0, 0, 0, 0, false, U, 75, 30, FULL},
    };
    run(&a, more, 2, "capped, later");
    CHECK_EQ_INT(a.up_hold, 5000000); /* the rise at 28 held: halved */
}

static void test_slow_decoder(void)
{
    static const row r[] = {
        {1, 0, 0, 9000, 5000, false, H, 75, 30, FULL},
        {2, 0, 0, 9000, 5000, false, H, 75, 30, FULL},
        {3, 0, 0, 9000, 5000, false, D, 75, 15, FULL}, /* rate, not quality */
        {6, 0, 0, 9000, 5000, false, D, 75, 10, FULL},
        {9, 0, 0, 9000, 5000, false, D, 75, 10, 320, 180},
        {12, 0, 0, 3000, 5000, false, H, 75, 10, 320, 180}, /* within */
        {13, 0, 0, 0, 0, false, H, 75, 10, 320, 180}, /* no budget: fine */
        {17, 0, 0, 3000, 5000, false, U, 75, 15, 320, 180},
    };
    lm_adapt a;
    lm_adapt_init(&a, NULL, 640, 360, 30);
    run(&a, r, sizeof r / sizeof r[0], "cpu");
}

static void test_hysteresis_queue_blackout(void)
{
    static const row r[] = {
        /* 1-2 % loss: neither clean nor mild, for a long time */
        {1, 15, 0, 0, 0, false, H, 75, 30, FULL},
        {5, 20, 0, 0, 0, false, H, 75, 30, FULL},
        {9, 29, 0, 0, 0, false, H, 75, 30, FULL},
        /* queueing delay of 25 ms is mild, 90 ms severe */
        {10, 0, 25, 0, 0, false, H, 75, 30, FULL},
        {11, 0, 25, 0, 0, false, H, 75, 30, FULL},
        {12, 0, 25, 0, 0, false, D, 60, 30, FULL},
        {13, 0, 90, 0, 0, false, D, 30, 30, FULL},
        /* nothing shown of what was sent: severe */
        {14, 0, 0, 0, 0, true, D, 30, 15, FULL},
        {15, 0, 0, 0, 0, true, D, 30, 10, FULL},
        /* 6 ms of queueing is clean; 12 ms is the hysteresis band */
        {16, 0, 12, 0, 0, false, H, 30, 10, FULL},
        {20, 0, 6, 0, 0, false, H, 30, 10, FULL},
        {21, 0, 6, 0, 0, false, H, 30, 10, FULL},
        {24, 0, 6, 0, 0, false, U, 45, 10, FULL}, /* clean from 19 */
        /* a gap in reports is no harm: the next still rises */
        {30, 0, 0, 0, 0, false, U, 60, 10, FULL},
    };
    lm_adapt a;
    lm_adapt_init(&a, NULL, 640, 360, 30);
    run(&a, r, sizeof r / sizeof r[0], "hysteresis");
}

static void test_ask_and_config(void)
{
    lm_adapt a;
    lm_adapt_init(&a, NULL, 320, 180, 30);
    static const row r[] = {
        {1, 600, 0, 0, 0, false, D, 30, 30, 320, 180},
        {2, 600, 0, 0, 0, false, D, 30, 15, 320, 180},
        {3, 600, 0, 0, 0, false, D, 30, 10, 320, 180},
        {4, 600, 0, 0, 0, false, D, 30, 10, 160, 90},
        {5, 600, 0, 0, 0, false, D, 30, 10, 80, 44}, /* even */
        {6, 600, 0, 0, 0, false, H, 30, 10, 80, 44},
    };
    run(&a, r, sizeof r / sizeof r[0], "tile");
    lm_adapt_ask(&a, 1280, 720, 24); /* the steps stay */
    lm_adapt_target t;
    lm_adapt_current(&a, &t);
    CHECK(t.w == 320 && t.h == 180 && t.fps == 8 && t.quality == 30);
    /* a small ask cannot halve below 16x16 */
    lm_adapt_ask(&a, 48, 32, 30);
    lm_adapt_current(&a, &t);
    CHECK(t.w == 24 && t.h == 16);

    lm_adapt_config c;
    lm_adapt_config_default(&c);
    c.quality_max = 90, c.quality_min = 50, c.quality_step = 25;
    lm_adapt_init(&a, &c, 640, 360, 30);
    static const row r2[] = {
        {1, 50, 0, 0, 0, false, H, 90, 30, FULL},
        {2, 50, 0, 0, 0, false, H, 90, 30, FULL},
        {3, 50, 0, 0, 0, false, D, 65, 30, FULL},
        {4, 50, 0, 0, 0, false, H, 65, 30, FULL},
        {5, 50, 0, 0, 0, false, H, 65, 30, FULL},
        {6, 50, 0, 0, 0, false, D, 50, 30, FULL}, /* floored, not 40 */
        {7, 50, 0, 0, 0, false, H, 50, 30, FULL},
        {8, 50, 0, 0, 0, false, H, 50, 30, FULL},
        {9, 50, 0, 0, 0, false, H, 50, 30, FULL},
    };
    run(&a, r2, sizeof r2 / sizeof r2[0], "config");
}

int main(void)
{
    RUN(test_noise_loss);
    RUN(test_capped_link);
    RUN(test_slow_decoder);
    RUN(test_hysteresis_queue_blackout);
    RUN(test_ask_and_config);
    return check_report();
}
