/* test_txt.c - the TXT record rules of discovery/txt.c, by table.
 *
 * Every item handed to lm_txt_parse() is first copied into a heap buffer of
 * exactly its length, with no NUL after it, so that under AddressSanitizer
 * a read past a length is a crash and not a silent pass.
 */
#include "check.h"

#include "err.h"
#include "txt.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ITEMS 8

typedef struct raw {
    const char *s; /* NULL: an item with data NULL */
    size_t len;
} raw;

#define S(lit)                                                                 \
    {                                                                          \
        lit, sizeof lit - 1                                                    \
    } /* keeps embedded NUL bytes */
#define ITEMS(...)                                                             \
    .items = {__VA_ARGS__}, .n = sizeof((raw[]){__VA_ARGS__}) / sizeof(raw)

/* Parses n raw items, each from an exact-size copy. */
static int parse_raw(const raw *items, size_t n, lm_disc_peer *out)
{
    lm_txt_item it[MAX_ITEMS] = {0}; /* n may be 0 */
    int r;

    for (size_t i = 0; i < n; i++) {
        char *copy = NULL;
        if (items[i].s) {
            copy = malloc(items[i].len ? items[i].len : 1);
            if (!copy)
                abort();
            memcpy(copy, items[i].s, items[i].len);
        }
        it[i].data = copy;
        it[i].len = items[i].len;
    }
    r = lm_txt_parse(it, n, out);
    for (size_t i = 0; i < n; i++)
        free((char *)it[i].data);
    return r;
}

/* ---- records that parse ------------------------------------------------- */

typedef struct good_case {
    const char *what;
    raw items[MAX_ITEMS];
    size_t n;
    uint64_t id, term;
    unsigned ver;
    const char *name, *room, *role;
} good_case;

static const good_case good[] = {
    {"full record",
     ITEMS(S("ver=1"), S("id=0123456789abcdef"), S("name=Ana"), S("room=lab"),
           S("role=hub"), S("term=7")),
     0x0123456789abcdefu, 7, 1, "Ana", "lab", "hub"},
    {"id only", ITEMS(S("id=1")), 1, 0, 0, "", "", ""},
    {"any order", ITEMS(S("term=3"), S("role=member"), S("id=2")), 2, 3, 0, "",
     "", "member"},
    {"keys any case, hex any case",
     ITEMS(S("ID=aB"), S("NaMe=x"), S("ROOM=y"), S("Term=9"), S("VER=2")), 0xab,
     9, 2, "x", "y", ""},
    {"largest id", ITEMS(S("id=ffffffffffffffff")), UINT64_MAX, 0, 0, "", "",
     ""},
    {"16 digits with leading zeros", ITEMS(S("id=0000000000000001")), 1, 0, 0,
     "", "", ""},
    {"largest term", ITEMS(S("id=1"), S("term=18446744073709551615")), 1,
     UINT64_MAX, 0, "", "", ""},
    {"20-digit term with zeros",
     ITEMS(S("id=1"), S("term=00000000000000000042")), 1, 42, 0, "", "", ""},
    {"term 0", ITEMS(S("id=1"), S("term=0")), 1, 0, 0, "", "", ""},
    {"largest ver", ITEMS(S("id=1"), S("ver=4294967295")), 1, 0, 4294967295u,
     "", "", ""},
    {"unknown keys skipped",
     ITEMS(S("x=y"), S("idx=5"), S("i=1"), S("names=z"), S("id=3"),
           S("future=id=9")),
     3, 0, 0, "", "", ""},
    {"no '=', empty key, empty item skipped",
     ITEMS(S("flag"), S("=v"), S("="), S(""), S("id"), S("id=4")), 4, 0, 0, "",
     "", ""},
    {"NULL item skipped", ITEMS({NULL, 0}, S("id=5"), {NULL, 7}), 5, 0, 0, "",
     "", ""},
    {"key with a NUL is unknown", ITEMS(S("na\0me=x"), S("id=6")), 6, 0, 0, "",
     "", ""},
    {"key with a space is unknown", ITEMS(S("name =x"), S("id=7")), 7, 0, 0, "",
     "", ""},
    {"empty texts", ITEMS(S("id=8"), S("name="), S("room="), S("role=")), 8, 0,
     0, "", "", ""},
    {"'=' inside a value", ITEMS(S("id=9"), S("name=a=b"), S("room==")), 9, 0,
     0, "a=b", "=", ""},
    {"UTF-8 kept", ITEMS(S("id=a"), S("name=Jos\xc3\xa9 \xf0\x9f\x98\x80")),
     0xa, 0, 0, "Jos\xc3\xa9 \xf0\x9f\x98\x80", "", ""},
    /* Not checked here (as before txt.c): whoever shows it checks it. */
    {"invalid UTF-8 kept as is", ITEMS(S("id=b"), S("name=\xff\xfe\xc0\x80")),
     0xb, 0, 0, "\xff\xfe\xc0\x80", "", ""},
    {"role cut to 15 bytes", ITEMS(S("id=c"), S("role=0123456789abcdefXYZ")),
     0xc, 0, 0, "", "", "0123456789abcde"},
    {"role cut before a 2-byte character",
     ITEMS(S("id=c"), S("role=01234567890123\xc3\xa9")), 0xc, 0, 0, "", "",
     "01234567890123"},
};

static void test_good(void)
{
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        const good_case *c = &good[i];
        lm_disc_peer p;
        int r;

        memset(&p, 0x55, sizeof p); /* junk: parse must set every field */
        p.ipv4 = 0x0a000001;
        p.port = 4242;
        r = parse_raw(c->items, c->n, &p);
        if (r != 0)
            fprintf(stderr, "case \"%s\": %d\n", c->what, r);
        CHECK_EQ_INT(r, 0);
        if (r != 0)
            continue;
        CHECK(p.id == c->id);
        CHECK(p.term == c->term);
        CHECK_EQ_INT(p.version, c->ver);
        CHECK_EQ_STR(p.name, c->name);
        CHECK_EQ_STR(p.room, c->room);
        CHECK_EQ_STR(p.role, c->role);
        CHECK_EQ_INT(p.ipv4, 0x0a000001); /* the address is not ours */
        CHECK_EQ_INT(p.port, 4242);
    }
}

/* ---- records that break a rule ------------------------------------------ */

typedef struct bad_case {
    const char *what;
    raw items[MAX_ITEMS];
    size_t n;
} bad_case;

static const bad_case bad[] = {
    {"no id", ITEMS(S("name=nobody"), S("ver=1"))},
    {"id with a space in its key only", ITEMS(S("id =1"))},
    {"id 0", ITEMS(S("id=0"))},
    {"id 0 in 16 digits", ITEMS(S("id=0000000000000000"))},
    {"empty id", ITEMS(S("id="))},
    {"17-digit id", ITEMS(S("id=00000000000000001"))},
    {"17-digit id, too big", ITEMS(S("id=10000000000000000"))},
    {"non-hex id", ITEMS(S("id=xyz"))},
    {"id with a g", ITEMS(S("id=12g"))},
    {"id with a sign", ITEMS(S("id=-1"))},
    {"id with a plus", ITEMS(S("id=+1"))},
    {"id with 0x", ITEMS(S("id=0x1"))},
    {"id with a space", ITEMS(S("id= 1"))},
    {"id with a trailing space", ITEMS(S("id=1 "))},
    {"id with a NUL", ITEMS(S("id=1\0"))},
    {"two ids", ITEMS(S("id=1"), S("id=2"))},
    {"two ids, same value, other case", ITEMS(S("id=1"), S("ID=1"))},
    {"two names", ITEMS(S("id=1"), S("name=a"), S("name=b"))},
    {"two rooms", ITEMS(S("id=1"), S("room="), S("Room="))},
    {"two roles", ITEMS(S("role=hub"), S("id=1"), S("role=hub"))},
    {"two terms", ITEMS(S("id=1"), S("term=1"), S("term=1"))},
    {"two vers", ITEMS(S("id=1"), S("ver=1"), S("ver=1"))},
    {"term overflows by one", ITEMS(S("id=1"), S("term=18446744073709551616"))},
    {"term overflows, 20 nines",
     ITEMS(S("id=1"), S("term=99999999999999999999"))},
    {"21-digit term", ITEMS(S("id=1"), S("term=000000000000000000001"))},
    {"negative term", ITEMS(S("id=1"), S("term=-1"))},
    {"empty term", ITEMS(S("id=1"), S("term="))},
    {"term with a point", ITEMS(S("id=1"), S("term=1.5"))},
    {"term in hex", ITEMS(S("id=1"), S("term=a"))},
    {"ver overflows", ITEMS(S("id=1"), S("ver=4294967296"))},
    {"ver with junk", ITEMS(S("id=1"), S("ver=1x"))},
    {"11-digit ver", ITEMS(S("id=1"), S("ver=00000000001"))},
    {"NUL in name", ITEMS(S("id=1"), S("name=a\0b"))},
    {"NUL alone in room", ITEMS(S("id=1"), S("room=\0"))},
    {"NUL at the end of role", ITEMS(S("id=1"), S("role=hub\0"))},
    {"NUL after the cut", ITEMS(S("id=1"), S("role=0123456789abcdefghij\0"))},
    {"bad field after a good id", ITEMS(S("id=1"), S("name=ok"), S("term=x"))},
};

static void test_bad(void)
{
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const bad_case *c = &bad[i];
        lm_disc_peer p, before;
        int r;

        memset(&p, 0x5a, sizeof p);
        memcpy(&before, &p, sizeof p); /* padding too */
        r = parse_raw(c->items, c->n, &p);
        if (r != LM_EPROTO)
            fprintf(stderr, "case \"%s\": %d\n", c->what, r);
        CHECK_EQ_INT(r, LM_EPROTO);
        CHECK(memcmp(&p, &before, sizeof p) == 0); /* untouched */
    }
}

static void test_bad_args(void)
{
    lm_txt_item it = {"id=1", 4};
    lm_disc_peer p;

    memset(&p, 0, sizeof p);
    CHECK_EQ_INT(lm_txt_parse(&it, 1, NULL), LM_EINVAL);
    CHECK_EQ_INT(lm_txt_parse(NULL, 1, &p), LM_EINVAL);
    CHECK_EQ_INT(lm_txt_parse(NULL, 0, &p), LM_EPROTO); /* no id */
    CHECK_EQ_INT(lm_txt_parse(&it, 0, &p), LM_EPROTO);
    CHECK_EQ_INT(lm_txt_parse(&it, 1, &p), 0);
    CHECK(p.id == 1);
}

/* ---- text cut to its field ---------------------------------------------- */

/* "name=" followed by `count` copies of `ch`, parsed; the name is returned
 * in p. */
static int parse_name_of(const char *ch, size_t count, lm_disc_peer *p)
{
    size_t chlen = strlen(ch), len = 5 + chlen * count;
    char *buf = malloc(len);
    raw items[2] = {S("id=1"), {NULL, 0}};
    int r;

    if (!buf)
        abort();
    memcpy(buf, "name=", 5);
    for (size_t i = 0; i < count; i++)
        memcpy(buf + 5 + i * chlen, ch, chlen);
    items[1].s = buf;
    items[1].len = len;
    r = parse_raw(items, 2, p);
    free(buf);
    return r;
}

static void test_cut(void)
{
    static const struct {
        const char *ch; /* one character, repeated */
        size_t count;
        size_t want; /* bytes of the name kept */
    } t[] = {
        {"a", 63, 63}, /* fits exactly */
        {"a", 64, 63}, /* one over */
        {"a", 70, 63},
        {"\xc3\xa9", 35, 62},     /* "é": 31 whole characters */
        {"\xe2\x82\xac", 21, 63}, /* "€": 21 fit exactly */
        {"\xe2\x82\xac", 30, 63},
        {"\xf0\x9f\x98\x80", 20, 60}, /* an emoji: 15 whole */
        {"\x80", 70, 0},              /* only continuation bytes: nothing */
        {"a\xc3\xa9", 40, 63},        /* "aé" x21 = 63 bytes */
    };
    lm_disc_peer p;

    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        size_t chlen = strlen(t[i].ch);
        CHECK_EQ_INT(parse_name_of(t[i].ch, t[i].count, &p), 0);
        CHECK_EQ_INT(strlen(p.name), t[i].want);
        for (size_t k = 0; k < t[i].want; k++)
            CHECK(p.name[k] == t[i].ch[k % chlen]);
    }
    /* a name one byte short of a megabyte */
    CHECK_EQ_INT(parse_name_of("x", (1u << 20) - 1, &p), 0);
    CHECK_EQ_INT(strlen(p.name), 63);
}

/* ---- hostile sizes ------------------------------------------------------ */

static void test_hostile(void)
{
    size_t big = 1u << 20;
    char *buf = malloc(big);
    lm_txt_item *many;
    lm_txt_item it[2];
    lm_disc_peer p;
    size_t n = 65536;

    if (!buf)
        abort();
    memset(&p, 0, sizeof p);

    /* an id of a megabyte of zeros: too long, whatever its value */
    memcpy(buf, "id=", 3);
    memset(buf + 3, '0', big - 3);
    it[0] = (lm_txt_item){buf, big};
    CHECK_EQ_INT(lm_txt_parse(it, 1, &p), LM_EPROTO);

    /* a term of a megabyte of digits */
    memcpy(buf, "term=", 5);
    memset(buf + 5, '1', big - 5);
    it[1] = (lm_txt_item){"id=1", 4};
    CHECK_EQ_INT(lm_txt_parse(it, 2, &p), LM_EPROTO);

    /* a megabyte of '=': key "" is unknown */
    memset(buf, '=', big);
    CHECK_EQ_INT(lm_txt_parse(it, 2, &p), 0);

    /* a megabyte without '=': skipped */
    memset(buf, 'i', big);
    CHECK_EQ_INT(lm_txt_parse(it, 2, &p), 0);

    /* a megabyte key before the '=' */
    buf[big - 1] = '=';
    CHECK_EQ_INT(lm_txt_parse(it, 2, &p), 0);

    /* 65536 items, the id last; then a repeat of it among them */
    many = calloc(n, sizeof *many);
    if (!many)
        abort();
    for (size_t i = 0; i < n - 1; i++)
        many[i] = (lm_txt_item){"x=1", 3};
    many[n - 1] = (lm_txt_item){"id=77", 5};
    CHECK_EQ_INT(lm_txt_parse(many, n, &p), 0);
    CHECK(p.id == 0x77);
    many[n / 2] = (lm_txt_item){"id=77", 5};
    CHECK_EQ_INT(lm_txt_parse(many, n, &p), LM_EPROTO);
    free(many);
    free(buf);
}

/* ---- building ----------------------------------------------------------- */

static void test_build(void)
{
    lm_disc_self self = {0x0123456789abcdefu, "Ana", "lab", 47400, "hub", 7};
    static const char *const want[] = {"ver=2",    "id=0123456789abcdef",
                                       "name=Ana", "room=lab",
                                       "role=hub", "term=7"};
    lm_txt_record r;

    CHECK_EQ_INT(lm_txt_build(&self, &r), 0);
    CHECK_EQ_INT(r.n, LM_TXT_ITEMS);
    for (size_t i = 0; i < r.n && i < LM_TXT_ITEMS; i++) {
        CHECK_EQ_STR(r.str[i], want[i]);
        CHECK_EQ_INT(r.len[i], strlen(want[i]));
    }

    /* NULL texts are empty; small ids get their leading zeros */
    self = (lm_disc_self){1, NULL, NULL, 0, NULL, UINT64_MAX};
    CHECK_EQ_INT(lm_txt_build(&self, &r), 0);
    CHECK_EQ_STR(r.str[1], "id=0000000000000001");
    CHECK_EQ_STR(r.str[2], "name=");
    CHECK_EQ_STR(r.str[3], "room=");
    CHECK_EQ_STR(r.str[4], "role=");
    CHECK_EQ_STR(r.str[5], "term=18446744073709551615");

    /* long texts are cut to the fields a reader has */
    self.name = "0123456789012345678901234567890123456789012345678901234567890"
                "123456789";
    self.role = "a-role-far-too-long";
    CHECK_EQ_INT(lm_txt_build(&self, &r), 0);
    CHECK_EQ_INT(r.len[2], 5 + 63);
    CHECK_EQ_INT(strlen(r.str[2]), 5 + 63);
    CHECK_EQ_STR(r.str[4], "role=a-role-far-too-");

    /* no id, no record */
    self.id = 0;
    CHECK_EQ_INT(lm_txt_build(&self, &r), LM_EINVAL);
    self.id = 1;
    CHECK_EQ_INT(lm_txt_build(NULL, &r), LM_EINVAL);
    CHECK_EQ_INT(lm_txt_build(&self, NULL), LM_EINVAL);
}

static void test_round_trip(void)
{
    static const struct {
        lm_disc_self self;
        const char *name, *room, *role; /* as read back */
    } t[] = {
        {{0x0123456789abcdefu, "Ana", "lab", 1, "hub", 7}, "Ana", "lab", "hub"},
        {{1, "", "", 1, "member", 0}, "", "", "member"},
        {{UINT64_MAX, NULL, NULL, 1, NULL, UINT64_MAX}, "", "", ""},
        {{0x8000000000000000u, "name=with=equals", "r", 1, "deputy", 3},
         "name=with=equals",
         "r",
         "deputy"},
        /* 35 x "é" is 70 bytes: 31 characters fit */
        {{2,
          "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
          "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
          "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
          "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
          "\xc3\xa9\xc3\xa9\xc3\xa9",
          "\xf0\x9f\x98\x80 room", 1, "hub\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac",
          9},
         "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
         "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
         "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
         "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9",
         "\xf0\x9f\x98\x80 room",
         "hub\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"},
    };

    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        lm_txt_record r;
        raw items[LM_TXT_ITEMS];
        lm_disc_peer p;

        CHECK_EQ_INT(lm_txt_build(&t[i].self, &r), 0);
        CHECK_EQ_INT(r.n, LM_TXT_ITEMS);
        for (size_t k = 0; k < r.n && k < LM_TXT_ITEMS; k++)
            items[k] = (raw){r.str[k], r.len[k]};
        memset(&p, 0, sizeof p);
        CHECK_EQ_INT(parse_raw(items, r.n, &p), 0);
        CHECK(p.id == t[i].self.id);
        CHECK(p.term == t[i].self.term);
        CHECK_EQ_INT(p.version, LM_TXT_VERSION);
        CHECK_EQ_STR(p.name, t[i].name);
        CHECK_EQ_STR(p.room, t[i].room);
        CHECK_EQ_STR(p.role, t[i].role);
    }
}

/* ---- the instance name and the copy ------------------------------------- */

static void test_instance_name(void)
{
    char out[LM_TXT_INSTANCE_MAX + 1], name[200];

    lm_txt_instance_name("Ana", 0x0123456789abcdefu, out);
    CHECK_EQ_STR(out, "Ana (01234567)");
    lm_txt_instance_name(NULL, 0xffffffff00000000u, out);
    CHECK_EQ_STR(out, "lanmeet (ffffffff)");
    lm_txt_instance_name("", 1, out);
    CHECK_EQ_STR(out, "lanmeet (00000000)");

    memset(name, 'n', 100);
    name[100] = '\0';
    lm_txt_instance_name(name, 0xabcdef0100000000u, out);
    CHECK_EQ_INT(strlen(out), LM_TXT_INSTANCE_MAX); /* 52 + " (...)" */
    CHECK(strcmp(out + 52, " (abcdef01)") == 0);

    for (size_t i = 0; i < 40; i++) /* "é" x40: 26 characters fit */
        memcpy(name + 2 * i, "\xc3\xa9", 3);
    lm_txt_instance_name(name, 0, out);
    CHECK_EQ_INT(strlen(out), 52 + 11);
    for (size_t i = 0; i < 30; i++) /* "€" x30: 17 characters fit */
        memcpy(name + 3 * i, "\xe2\x82\xac", 4);
    lm_txt_instance_name(name, 0, out);
    CHECK_EQ_INT(strlen(out), 51 + 11);
    CHECK(strcmp(out + 51, " (00000000)") == 0);
}

static void test_copy(void)
{
    char dst[4];

    CHECK_EQ_INT(lm_txt_copy(dst, sizeof dst, "abc", 3), 3);
    CHECK_EQ_STR(dst, "abc");
    CHECK_EQ_INT(lm_txt_copy(dst, sizeof dst, "abcd", 4), 3);
    CHECK_EQ_STR(dst, "abc");
    CHECK_EQ_INT(lm_txt_copy(dst, sizeof dst, "a\xe2\x82\xac", 4), 1);
    CHECK_EQ_STR(dst, "a");
    CHECK_EQ_INT(lm_txt_copy(dst, sizeof dst, "ab", 1), 1); /* by length */
    CHECK_EQ_STR(dst, "a");
    CHECK_EQ_INT(lm_txt_copy(dst, 1, "abc", 3), 0);
    CHECK_EQ_STR(dst, "");
    CHECK_EQ_INT(lm_txt_copy(dst, sizeof dst, NULL, 5), 0);
    CHECK_EQ_STR(dst, "");
}

int main(void)
{
    RUN(test_good);
    RUN(test_bad);
    RUN(test_bad_args);
    RUN(test_cut);
    RUN(test_hostile);
    RUN(test_build);
    RUN(test_round_trip);
    RUN(test_instance_name);
    RUN(test_copy);
    return check_report();
}
