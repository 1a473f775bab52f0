/* test_avahi.c - the discovery backends, end to end.
 *
 * Run it under tests/with-avahi.sh: two instances of the avahi backend in
 * one process find each other through a private avahi-daemon, see a TXT
 * change, survive a daemon restart; records that break the TXT rules are
 * ignored; two nodes that want the same instance name both get published.
 * Without a daemon the backend must still open, warn once and close
 * cleanly. Outside with-avahi.sh only the tests that need no daemon run
 * (the no-daemon test points D-Bus at a socket that does not exist).
 * The static backend and the backend table are checked here too.
 *
 * Waits are bounded condition-variable waits, never fixed sleeps, except
 * where the point is that nothing more happens. */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* clocks, fork, setenv under -std=c11 */
#endif
#include "check.h"
#include "discovery.h"
#include "txt.h"
#include "err.h"

#include <avahi-client/client.h>
#include <avahi-client/publish.h>
#include <avahi-common/thread-watch.h>

#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ID_A UINT64_C(0x0123456789abcdef)
#define ID_B UINT64_C(0xfedcba9876543210)
#define ID_VALID UINT64_C(0xab)      /* the good record of the strict test */
#define WAIT_MS 5000                 /* the bar for every discovery step */
#define LOCALHOST UINT32_C(0x7f000001)

/* What one backend instance has told us. */
typedef struct listener {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    uint64_t want;     /* the id we watch; 0: count nothing as strange */
    lm_disc_peer peer; /* its last found() */
    int have, founds, losts;
    int no_mdns, mdns_back, other_status;
    int strangers;     /* found() for ids we did not expect */
    uint64_t ignore[2]; /* ids that may show up without being strangers */
} listener;

static void listener_init(listener *l, uint64_t want)
{
    pthread_condattr_t ca;

    memset(l, 0, sizeof *l);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&l->cv, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&l->mu, NULL);
    l->want = want;
}

static void listener_fini(listener *l)
{
    pthread_cond_destroy(&l->cv);
    pthread_mutex_destroy(&l->mu);
}

static void on_found(void *ud, const lm_disc_peer *p)
{
    listener *l = ud;

    pthread_mutex_lock(&l->mu);
    if (p->id == l->want) {
        l->peer = *p;
        l->have = 1;
        l->founds++;
    } else if (l->want && p->id != l->ignore[0] && p->id != l->ignore[1]) {
        l->strangers++;
        fprintf(stderr, "  found id %016" PRIx64 " '%s', not the one watched\n",
                p->id, p->name);
    }
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
}

static void on_lost(void *ud, uint64_t id)
{
    listener *l = ud;

    pthread_mutex_lock(&l->mu);
    if (id == l->want) {
        l->have = 0;
        l->losts++;
    }
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
}

static void on_status(void *ud, int level, const char *code, const char *msg)
{
    listener *l = ud;

    fprintf(stderr, "  status %d %s: %s\n", level, code, msg);
    pthread_mutex_lock(&l->mu);
    if (strcmp(code, "no_mdns") == 0)
        l->no_mdns++;
    else if (strcmp(code, "mdns_back") == 0)
        l->mdns_back++;
    else
        l->other_status++;
    pthread_cond_broadcast(&l->cv);
    pthread_mutex_unlock(&l->mu);
}

static lm_disc_callbacks callbacks(listener *l)
{
    lm_disc_callbacks cb = {on_found, on_lost, on_status, l};
    return cb;
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until pred(l) holds, at most ms; returns whether it holds. */
static int wait_for(listener *l, int (*pred)(const listener *), int ms)
{
    struct timespec dl;
    int ok;

    clock_gettime(CLOCK_MONOTONIC, &dl);
    dl.tv_sec += ms / 1000;
    dl.tv_nsec += (long)(ms % 1000) * 1000000;
    if (dl.tv_nsec >= 1000000000) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&l->mu);
    while (!(ok = pred(l)))
        if (pthread_cond_timedwait(&l->cv, &l->mu, &dl) != 0) {
            ok = pred(l);
            break;
        }
    pthread_mutex_unlock(&l->mu);
    return ok;
}

static int has_peer(const listener *l) { return l->have; }
static int is_hub3(const listener *l)
{
    return l->have && l->peer.term == 3 && strcmp(l->peer.role, "hub") == 0;
}
static int back_again(const listener *l)
{
    return l->losts > 0 && l->have && l->mdns_back > 0;
}
static int never(const listener *l) { (void)l; return 0; }
static int lost_once(const listener *l) { return l->losts > 0; }
static int one_no_mdns(const listener *l) { return l->no_mdns >= 1; }
static int two_no_mdns(const listener *l) { return l->no_mdns >= 2; }

static lm_disc_self self_a = {ID_A, "alice", "room1", 47401, "member", 1};
static lm_disc_self self_b = {ID_B, "bob", "room1", 47402, "member", 1};

static void check_peer(listener *l, const lm_disc_self *want)
{
    pthread_mutex_lock(&l->mu);
    CHECK(l->peer.id == want->id);
    CHECK_EQ_STR(l->peer.name, want->name);
    CHECK_EQ_STR(l->peer.room, want->room);
    CHECK_EQ_STR(l->peer.role, want->role);
    CHECK_EQ_INT(l->peer.term, want->term);
    CHECK_EQ_INT(l->peer.port, want->port);
    CHECK_EQ_INT(l->peer.version, LM_TXT_VERSION);
    CHECK_EQ_INT(l->peer.ipv4, LOCALHOST);
    pthread_mutex_unlock(&l->mu);
}

/* Two nodes, one daemon: find, update, restart. */
static void test_two_nodes(void)
{
    listener la, lb; /* la watches b, lb watches a */
    lm_disc_callbacks ca, cb;
    lm_discovery *a, *b;
    int err = -1;
    int64_t t0, t_found, t_restart;
    const char *restart = getenv("LANMEET_AVAHI_RESTART");

    listener_init(&la, ID_B);
    listener_init(&lb, ID_A);
    ca = callbacks(&la);
    cb = callbacks(&lb);
    t0 = now_ms();
    a = lm_discovery_open(&lm_discovery_avahi, NULL, &ca, &err);
    CHECK(a != NULL);
    CHECK_EQ_INT(err, 0);
    b = lm_discovery_open(&lm_discovery_avahi, NULL, &cb, &err);
    CHECK(b != NULL);
    if (!a || !b)
        goto out;
    CHECK_EQ_INT(lm_discovery_publish(a, &self_a), 0);
    CHECK_EQ_INT(lm_discovery_publish(b, &self_b), 0);

    CHECK(wait_for(&la, has_peer, WAIT_MS));
    CHECK(wait_for(&lb, has_peer, WAIT_MS));
    t_found = now_ms();
    printf("  found each other %" PRId64 " ms after open\n", t_found - t0);
    check_peer(&la, &self_b);
    check_peer(&lb, &self_a);

    lm_disc_self hub = self_a;
    hub.role = "hub";
    hub.term = 3;
    t0 = now_ms();
    CHECK_EQ_INT(lm_discovery_publish(a, &hub), 0);
    CHECK(wait_for(&lb, is_hub3, WAIT_MS));
    printf("  TXT change seen %" PRId64 " ms after publish\n", now_ms() - t0);
    check_peer(&lb, &hub);

    CHECK(restart != NULL);
    if (restart) {
        t0 = now_ms();
        CHECK_EQ_INT(system(restart), 0);
        t_restart = now_ms();
        CHECK(wait_for(&la, back_again, WAIT_MS));
        CHECK(wait_for(&lb, back_again, WAIT_MS));
        printf("  after a daemon restart (%" PRId64 " ms): found again %"
               PRId64 " ms after it was back\n",
               t_restart - t0, now_ms() - t_restart);
        check_peer(&la, &self_b);
        check_peer(&lb, &hub);
        CHECK_EQ_INT(la.no_mdns, 1);
        CHECK_EQ_INT(la.mdns_back, 1);
        CHECK_EQ_INT(lb.no_mdns, 1);
        CHECK_EQ_INT(lb.mdns_back, 1);
    }
    CHECK_EQ_INT(la.strangers, 0);
    CHECK_EQ_INT(lb.strangers, 0);
    CHECK_EQ_INT(la.other_status + lb.other_status, 0);

    /* a leaves: its goodbye makes b report it lost */
    pthread_mutex_lock(&lb.mu);
    lb.losts = 0;
    pthread_mutex_unlock(&lb.mu);
    t0 = now_ms();
    lm_discovery_close(a);
    a = NULL;
    CHECK(wait_for(&lb, lost_once, WAIT_MS));
    CHECK(!lb.have);
    printf("  lost reported %" PRId64 " ms after the other closed\n",
           now_ms() - t0);
out:
    lm_discovery_close(a);
    lm_discovery_close(b);
    listener_fini(&la);
    listener_fini(&lb);
}

/* Records that break the TXT rules are ignored; a good one with odd but
 * legal content is read right. Published with libavahi-client directly. */
static void test_strict_txt(void)
{
    static const char *const bad[][4] = {
        {"bad id", "id=xyz", "name=evil", NULL},
        {"long id", "id=00000000000000001", NULL, NULL},
        {"no id", "name=nobody", NULL, NULL},
        {"zero id", "id=0", NULL, NULL},
        {"two ids", "id=b1", "id=b2", NULL},
        {"bad term", "id=b3", "term=-1", NULL},
        {"big term", "id=b4", "term=18446744073709551616", NULL},
        {"bad ver", "id=b5", "ver=1x", NULL},
    };
    char longname[5 + 70 + 1] = "name=";
    listener l;
    lm_disc_callbacks cb;
    AvahiThreadedPoll *tp = avahi_threaded_poll_new();
    AvahiClient *c;
    AvahiEntryGroup *g = NULL;
    lm_discovery *d = NULL;
    int err = 0;

    for (int i = 0; i < 35; i++) /* 70 bytes of "é", two bytes each */
        memcpy(longname + 5 + 2 * i, "\xc3\xa9", 3);
    listener_init(&l, ID_VALID);
    /* the nodes of test_two_nodes said goodbye, but mDNS keeps a record
     * for one more second after its goodbye (RFC 6762, 10.1) */
    l.ignore[0] = ID_A;
    l.ignore[1] = ID_B;
    cb = callbacks(&l);
    c = avahi_client_new(avahi_threaded_poll_get(tp), 0, NULL, NULL, &err);
    CHECK(c != NULL);
    if (!c)
        goto out;
    avahi_threaded_poll_start(tp);
    avahi_threaded_poll_lock(tp);
    g = avahi_entry_group_new(c, NULL, NULL);
    CHECK(g != NULL);
    for (size_t i = 0; g && i < sizeof bad / sizeof bad[0]; i++)
        CHECK_EQ_INT(avahi_entry_group_add_service(
                         g, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, 0, bad[i][0],
                         LM_SERVICE_TYPE, NULL, NULL, 1000, bad[i][1],
                         bad[i][2], NULL),
                     0);
    if (g) {
        CHECK_EQ_INT(avahi_entry_group_add_service(
                         g, AVAHI_IF_UNSPEC, AVAHI_PROTO_UNSPEC, 0, "good",
                         LM_SERVICE_TYPE, NULL, NULL, 1001, "ver=1", "flag",
                         "x=y", "ID=AB", longname, "room=",
                         "term=18446744073709551615", NULL),
                     0);
        CHECK_EQ_INT(avahi_entry_group_commit(g), 0);
    }
    avahi_threaded_poll_unlock(tp);

    d = lm_discovery_open(&lm_discovery_avahi, NULL, &cb, &err);
    CHECK(d != NULL);
    CHECK(wait_for(&l, has_peer, WAIT_MS));
    /* every record was announced at once: give the bad ones time to be
     * resolved too, then check that none was reported */
    CHECK(!wait_for(&l, never, 1500));
    pthread_mutex_lock(&l.mu);
    CHECK_EQ_INT(l.strangers, 0);
    CHECK_EQ_INT(strlen(l.peer.name), 62); /* 31 whole characters */
    CHECK(strncmp(l.peer.name, longname + 5, 62) == 0);
    CHECK_EQ_STR(l.peer.room, "");
    CHECK(l.peer.term == UINT64_MAX);
    CHECK_EQ_INT(l.peer.port, 1001);
    pthread_mutex_unlock(&l.mu);
out:
    lm_discovery_close(d);
    if (c) {
        avahi_threaded_poll_stop(tp);
        avahi_client_free(c); /* frees the group too */
    }
    avahi_threaded_poll_free(tp);
    listener_fini(&l);
}

/* No bus, no daemon: open works, one warning, close is clean. Runs in a
 * child process: libdbus reads DBUS_SYSTEM_BUS_ADDRESS once per process and
 * keeps it, so the variable cannot be changed for one test only. */
static void no_daemon_child(void)
{
    listener l;
    lm_disc_callbacks cb;
    lm_discovery *d;
    int err = -1;

    setenv("DBUS_SYSTEM_BUS_ADDRESS",
           "unix:path=/nonexistent/lanmeet-test/bus", 1);
    listener_init(&l, ID_A);
    cb = callbacks(&l);
    d = lm_discovery_open(&lm_discovery_avahi, NULL, &cb, &err);
    CHECK(d != NULL);
    CHECK_EQ_INT(err, 0);
    CHECK_EQ_INT(lm_discovery_publish(d, &self_a), 0); /* kept */
    CHECK(wait_for(&l, one_no_mdns, WAIT_MS));
    /* the backend retries every second; it must not warn again */
    CHECK(!wait_for(&l, two_no_mdns, 2500));
    lm_discovery_close(d);
    CHECK_EQ_INT(l.no_mdns, 1);
    CHECK_EQ_INT(l.mdns_back + l.other_status + l.founds + l.losts, 0);
    listener_fini(&l);
}

static void test_no_daemon(void)
{
    int status = -1;
    pid_t pid;

    fflush(NULL);
    pid = fork(); /* before this process has any thread */
    CHECK(pid >= 0);
    if (pid == 0) {
        no_daemon_child();
        exit(check_failures ? 1 : 0); /* exit, not _exit: LSan runs */
    }
    if (pid > 0)
        CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* Two nodes with the same name and the same first 8 hex digits of id want
 * the same instance name; the second must take another and both be seen. */
static int both_twins(const listener *l)
{
    return l->have && l->strangers == 1;
}

static void test_name_collision(void)
{
    lm_disc_self t1 = {UINT64_C(0x1111111100000001), "twin", "", 1,
                       "member", 0};
    lm_disc_self t2 = {UINT64_C(0x1111111100000002), "twin", "", 2,
                       "member", 0};
    listener l, quiet;
    lm_disc_callbacks cb, cq;
    lm_discovery *x, *y, *z;
    int err;

    listener_init(&l, t1.id);
    l.ignore[0] = ID_VALID; /* the good record of test_strict_txt, going */
    listener_init(&quiet, 0);
    cb = callbacks(&l);
    cq = callbacks(&quiet);
    x = lm_discovery_open(&lm_discovery_avahi, NULL, &cq, &err);
    y = lm_discovery_open(&lm_discovery_avahi, NULL, &cq, &err);
    /* z only watches */
    z = lm_discovery_open(&lm_discovery_avahi, NULL, &cb, &err);
    CHECK(x && y && z);
    if (x && y && z) {
        CHECK_EQ_INT(lm_discovery_publish(x, &t1), 0);
        CHECK_EQ_INT(lm_discovery_publish(y, &t2), 0);
        CHECK(wait_for(&l, both_twins, WAIT_MS)); /* t2 is the "stranger" */
    }
    lm_discovery_close(x);
    lm_discovery_close(y);
    lm_discovery_close(z);
    CHECK_EQ_INT(l.other_status + quiet.other_status, 0);
    listener_fini(&l);
    listener_fini(&quiet);
}

/* ---- the static backend and the table --------------------------------- */

typedef struct collect {
    lm_disc_peer p[8];
    int n, statuses;
    char code[32], msg[512];
} collect;

static void c_found(void *ud, const lm_disc_peer *p)
{
    collect *c = ud;
    if (c->n < 8)
        c->p[c->n] = *p;
    c->n++;
}

static void c_status(void *ud, int level, const char *code, const char *msg)
{
    collect *c = ud;
    CHECK_EQ_INT(level, 1);
    c->statuses++;
    snprintf(c->code, sizeof c->code, "%s", code);
    snprintf(c->msg, sizeof c->msg, "%s", msg);
}

/* Opens the static backend on arg, reporting into c. */
static lm_discovery *open_static(const char *arg, collect *c, int *err)
{
    static lm_disc_callbacks cb = {c_found, NULL, c_status, NULL};

    memset(c, 0, sizeof *c);
    cb.ud = c;
    return lm_discovery_open(lm_discovery_find("static"), arg, &cb, err);
}

static void test_static(void)
{
    collect c;
    int err = -1;
    lm_discovery *s =
        open_static(" 127.0.0.1:5000, 10.1.2.3,127.0.0.1:5000", &c, &err);

    CHECK(s != NULL);
    CHECK_EQ_INT(err, 0);
    CHECK_EQ_INT(c.n, 2); /* the repeated address once */
    CHECK_EQ_INT(c.p[0].ipv4, LOCALHOST);
    CHECK_EQ_INT(c.p[0].port, 5000);
    CHECK(c.p[0].id == 0);
    CHECK_EQ_INT(c.p[1].ipv4, 0x0a010203);
    CHECK_EQ_INT(c.p[1].port, LM_DEFAULT_PORT);
    CHECK_EQ_INT(c.statuses, 0);
    CHECK_EQ_INT(lm_discovery_publish(s, &self_a), 0);
    lm_discovery_close(s);

    static const char *const bad[][2] = {
        {"127.0.0.1,127.0.0.1:0", "cannot resolve peer '127.0.0.1:0': "},
        {"127.0.0.1:70000", "cannot resolve peer '127.0.0.1:70000': "},
        {"127.0.0.1:", "cannot resolve peer '127.0.0.1:': "},
        {"::1", "cannot resolve peer '::1': IPv6"},
        {":5000", "cannot resolve peer ':5000': missing host"},
        {"127.0.0.1,,127.0.0.2", "cannot resolve peer '': empty"},
        {"", "cannot resolve peer '': no peer given"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err = 0;
        s = open_static(bad[i][0], &c, &err);
        CHECK(s == NULL);
        CHECK_EQ_INT(err, LM_EINVAL);
        CHECK_EQ_INT(c.n, 0); /* all or nothing */
        CHECK_EQ_INT(c.statuses, 1);
        CHECK_EQ_STR(c.code, "bad_peer");
        if (strncmp(c.msg, bad[i][1], strlen(bad[i][1])) != 0) {
            fprintf(stderr, "  unexpected message: %s\n", c.msg);
            CHECK(0);
        }
    }
}

static void test_find(void)
{
    collect c;
    lm_disc_callbacks cb = {c_found, NULL, c_status, &c};
    int err = 0;

    CHECK(lm_discovery_find("avahi") == &lm_discovery_avahi);
    CHECK(lm_discovery_find("static") == &lm_discovery_static);
    CHECK(lm_discovery_find("bonjour") == NULL);
    CHECK(lm_discovery_find("") == NULL);
    CHECK(lm_discovery_find(NULL) == NULL);
    /* an unknown name opens nothing and says nothing */
    memset(&c, 0, sizeof c);
    CHECK(lm_discovery_open(lm_discovery_find("bonjour"), "127.0.0.1", &cb,
                            &err) == NULL);
    CHECK_EQ_INT(err, LM_EINVAL);
    CHECK(lm_discovery_open(NULL, NULL, &cb, NULL) == NULL);
    CHECK_EQ_INT(c.n + c.statuses, 0);
    /* the handle's calls are NULL-safe */
    CHECK_EQ_INT(lm_discovery_publish(NULL, &self_a), LM_EINVAL);
    lm_discovery_close(NULL);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    RUN(test_find);
    RUN(test_static);
    RUN(test_no_daemon);
    if (getenv("LANMEET_AVAHI_NS")) {
        RUN(test_two_nodes);
        RUN(test_strict_txt);
        RUN(test_name_collision);
    } else {
        printf("  not under tests/with-avahi.sh: daemon tests not run\n");
    }
    return check_report();
}
