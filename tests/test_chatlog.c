/* test_chatlog.c - ordering, holding, history cap and skipping. */
#include <stdlib.h>

#include "room/chatlog.h"
#include "check.h"
#include "err.h"

static uint64_t delivered[4096];
static size_t ndelivered;

static void on_deliver(void *ud, const lm_chat_entry *e)
{
    (void)ud;
    if (ndelivered < 4096)
        delivered[ndelivered++] = e->seq;
}

static lm_chat_entry entry(uint64_t seq, uint64_t origin, uint32_t msgid)
{
    lm_chat_entry e = {.seq = seq, .origin = origin, .msgid = msgid,
                       .ts = 1000 + (int64_t)seq, .text = "hello"};
    return e;
}

static void test_in_order(void)
{
    ndelivered = 0;
    lm_chatlog *log = lm_chatlog_new(10, on_deliver, NULL);
    for (uint64_t s = 1; s <= 5; s++) {
        lm_chat_entry e = entry(s, 7, (uint32_t)s);
        CHECK_EQ_INT(lm_chatlog_offer(log, &e), 1);
    }
    CHECK_EQ_INT(ndelivered, 5);
    for (size_t i = 0; i < ndelivered; i++)
        CHECK_EQ_INT(delivered[i], i + 1);
    lm_chat_entry dup = entry(3, 7, 3);
    CHECK_EQ_INT(lm_chatlog_offer(log, &dup), 0);
    CHECK_EQ_INT(lm_chatlog_next(log), 6);
    CHECK_EQ_INT(lm_chatlog_first(log), 1);
    CHECK(lm_chatlog_has(log, 7, 5));
    CHECK(!lm_chatlog_has(log, 7, 6));
    CHECK(!lm_chatlog_has(log, 8, 1));
    CHECK(lm_chatlog_get(log, 3) != NULL);
    CHECK(lm_chatlog_get(log, 6) == NULL);
    lm_chatlog_free(log);
}

static void test_out_of_order_held(void)
{
    ndelivered = 0;
    lm_chatlog *log = lm_chatlog_new(10, on_deliver, NULL);
    uint64_t order[] = {3, 5, 2, 4, 1, 6};
    for (size_t i = 0; i < 6; i++) {
        lm_chat_entry e = entry(order[i], 1, (uint32_t)order[i]);
        CHECK_EQ_INT(lm_chatlog_offer(log, &e), 1);
    }
    lm_chat_entry again = entry(5, 1, 5);
    CHECK_EQ_INT(lm_chatlog_offer(log, &again), 0);
    CHECK_EQ_INT(ndelivered, 6);
    for (size_t i = 0; i < ndelivered; i++)
        CHECK_EQ_INT(delivered[i], i + 1);
    lm_chatlog_free(log);
}

static void test_cap_keeps_last(void)
{
    ndelivered = 0;
    lm_chatlog *log = lm_chatlog_new(4, on_deliver, NULL);
    for (uint64_t s = 1; s <= 10; s++) {
        lm_chat_entry e = entry(s, 1, (uint32_t)s);
        lm_chatlog_offer(log, &e);
    }
    CHECK_EQ_INT(lm_chatlog_first(log), 7);
    CHECK_EQ_INT(lm_chatlog_next(log), 11);
    CHECK(lm_chatlog_get(log, 6) == NULL);
    CHECK(lm_chatlog_get(log, 7) != NULL);
    CHECK_EQ_INT(lm_chatlog_get(log, 10)->msgid, 10);
    lm_chatlog_free(log);
}

static void test_skip_to(void)
{
    ndelivered = 0;
    lm_chatlog *log = lm_chatlog_new(10, on_deliver, NULL);
    lm_chat_entry e1 = entry(1, 1, 1), e50 = entry(50, 1, 50),
                  e51 = entry(51, 1, 51);
    lm_chatlog_offer(log, &e1);
    lm_chatlog_offer(log, &e51); /* held across the gap */
    CHECK_EQ_INT(ndelivered, 1);
    lm_chatlog_skip_to(log, 50);
    CHECK_EQ_INT(lm_chatlog_next(log), 50);
    lm_chatlog_offer(log, &e50);
    CHECK_EQ_INT(ndelivered, 3);
    CHECK_EQ_INT(delivered[2], 51);
    lm_chatlog_skip_to(log, 10); /* backwards: ignored */
    CHECK_EQ_INT(lm_chatlog_next(log), 52);
    lm_chatlog_free(log);
}

static void test_reset(void)
{
    ndelivered = 0;
    lm_chatlog *log = lm_chatlog_new(10, on_deliver, NULL);
    lm_chat_entry e1 = entry(1, 1, 1), e2 = entry(2, 1, 2),
                  e9 = entry(9, 2, 9), e5 = entry(5, 3, 1);
    lm_chatlog_offer(log, &e1);
    lm_chatlog_offer(log, &e2);
    lm_chatlog_offer(log, &e9); /* held */
    lm_chatlog_reset(log, 5);
    CHECK_EQ_INT(lm_chatlog_next(log), 5);
    CHECK_EQ_INT(lm_chatlog_first(log), 5);
    CHECK(!lm_chatlog_has(log, 1, 1));
    lm_chatlog_offer(log, &e5);
    CHECK_EQ_INT(ndelivered, 3);
    CHECK_EQ_INT(delivered[2], 5);
    CHECK(lm_chatlog_has(log, 3, 1));
    lm_chatlog_free(log);
}

/* The same message at the same seq in two histories gets two digests when
 * what came before differs: that is how a hub tells a healed half apart. */
static void test_chain(void)
{
    uint64_t a1 = lm_chatlog_chain(0, 1, 10, 1), b1 = lm_chatlog_chain(0, 1, 20, 1);
    CHECK(a1 != b1);
    CHECK(lm_chatlog_chain(a1, 2, 30, 5) != lm_chatlog_chain(b1, 2, 30, 5));
    CHECK(lm_chatlog_chain(a1, 2, 30, 5) == lm_chatlog_chain(a1, 2, 30, 5));
    CHECK(lm_chatlog_chain(a1, 2, 30, 5) != lm_chatlog_chain(a1, 3, 30, 5));
    CHECK(lm_chatlog_chain(a1, 2, 30, 5) != lm_chatlog_chain(a1, 2, 30, 6));
}

static void test_hold_is_bounded(void)
{
    ndelivered = 0;
    lm_chatlog *log = lm_chatlog_new(10, on_deliver, NULL);
    int full = 0;
    for (uint64_t s = 2; s < 2 + LM_CHATLOG_HOLD + 5; s++) {
        lm_chat_entry e = entry(s, 1, (uint32_t)s);
        if (lm_chatlog_offer(log, &e) == LM_EFULL)
            full++;
    }
    CHECK_EQ_INT(full, 5);
    CHECK_EQ_INT(ndelivered, 0);
    lm_chatlog_free(log);
}

int main(void)
{
    RUN(test_in_order);
    RUN(test_out_of_order_held);
    RUN(test_cap_keeps_last);
    RUN(test_skip_to);
    RUN(test_reset);
    RUN(test_chain);
    RUN(test_hold_is_bounded);
    return check_report();
}
