/* test_command.c - the headless command parser and the JSON writer. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "command.h"
#include "err.h"
#include "json.h"

static int parse(const char *s, lm_ucmd *c)
{
    static char buf[8192];
    snprintf(buf, sizeof buf, "%s", s);
    return lm_command_parse(buf, c);
}

static void test_commands(void)
{
    lm_ucmd c;
    CHECK_EQ_INT(parse("say hello world\n", &c), 0);
    CHECK_EQ_INT(c.type, LM_UC_SAY);
    CHECK_EQ_STR(c.text, "hello world");
    CHECK_EQ_INT(parse("  who  ", &c), 0);
    CHECK_EQ_INT(c.type, LM_UC_WHO);
    CHECK_EQ_INT(parse("quit", &c), 0);
    CHECK_EQ_INT(c.type, LM_UC_QUIT);
    CHECK_EQ_INT(parse("stats", &c), 0);
    CHECK_EQ_INT(c.type, LM_UC_STATS);
    CHECK_EQ_INT(parse("stats now", &c), LM_EINVAL);
    CHECK_EQ_INT(parse("mute", &c), 0);
    CHECK_EQ_INT(c.type, LM_UC_MUTE);
    CHECK_EQ_INT(parse("unmute", &c), 0);
    CHECK_EQ_INT(c.type, LM_UC_UNMUTE);
    CHECK_EQ_INT(parse("ptt on", &c), 0);
    CHECK_EQ_INT(c.type, LM_UC_PTT);
    CHECK(c.ptt_on);
    CHECK_EQ_INT(parse("ptt off", &c), 0);
    CHECK(!c.ptt_on);
    CHECK_EQ_INT(parse("ptt maybe", &c), LM_EINVAL);
    CHECK_EQ_INT(parse("camera off", &c), 0);
    CHECK_EQ_INT(c.type, LM_UC_CAMERA);
    CHECK(!c.cam_on);
    CHECK_EQ_INT(parse("camera on", &c), 0);
    CHECK(c.cam_on);
    CHECK_EQ_INT(parse("camera", &c), LM_EINVAL);
    CHECK_EQ_STR(c.code, "bad_command");
    CHECK_EQ_INT(parse("", &c), 0);
    CHECK_EQ_INT(c.type, LM_UC_NONE);
    CHECK_EQ_INT(parse("who me", &c), LM_EINVAL);
    CHECK_EQ_STR(c.code, "bad_command");
    CHECK_EQ_INT(parse("frobnicate", &c), LM_EINVAL);
    CHECK_EQ_STR(c.code, "unknown_command");
    CHECK_EQ_INT(parse("say \xff\xfe", &c), LM_EINVAL);
    CHECK_EQ_STR(c.code, "bad_text");
}

static void test_dm(void)
{
    lm_ucmd c;
    CHECK_EQ_INT(parse("dm bob hi there", &c), 0);
    CHECK_EQ_INT(c.type, LM_UC_DM);
    CHECK_EQ_INT(c.nto, 1);
    CHECK_EQ_STR(c.to[0], "bob");
    CHECK_EQ_STR(c.text, "hi there");
    CHECK_EQ_INT(parse("dm \"alice (2)\",bob hi", &c), 0);
    CHECK_EQ_INT(c.nto, 2);
    CHECK_EQ_STR(c.to[0], "alice (2)");
    CHECK_EQ_STR(c.to[1], "bob");
    CHECK_EQ_STR(c.text, "hi");
    CHECK_EQ_INT(parse("dm bob", &c), LM_EINVAL);
    CHECK_EQ_INT(parse("dm", &c), LM_EINVAL);
    CHECK_EQ_INT(parse("dm \"open hi", &c), LM_EINVAL);
    CHECK_EQ_INT(parse("dm ,bob hi", &c), LM_EINVAL);
    /* a quote or a backslash in a name, escaped inside the quotes */
    CHECK_EQ_INT(parse("dm \"dan \\\"the man\\\"\" yo", &c), 0);
    CHECK_EQ_STR(c.to[0], "dan \"the man\"");
    CHECK_EQ_STR(c.text, "yo");
    CHECK_EQ_INT(parse("dm \"back\\\\slash\" yo", &c), 0);
    CHECK_EQ_STR(c.to[0], "back\\slash");
    CHECK_EQ_INT(parse("dm \"odd\\x\" yo", &c), 0); /* other escapes kept */
    CHECK_EQ_STR(c.to[0], "odd\\x");
    CHECK_EQ_INT(parse("dm \"cut\\\" yo", &c), LM_EINVAL); /* no end quote */
}

static void test_faults(void)
{
    lm_ucmd c;
    CHECK_EQ_INT(parse("test_drop 0.05", &c), 0);
    CHECK(c.fraction > 0.049 && c.fraction < 0.051);
    CHECK_EQ_INT(parse("test_drop 1.5", &c), LM_EINVAL);
    CHECK_EQ_INT(parse("test_drop nan", &c), LM_EINVAL);
    CHECK_EQ_INT(parse("test_drop", &c), LM_EINVAL);
    CHECK_EQ_INT(parse("test_block 127.0.0.1:4000", &c), 0);
    CHECK_EQ_INT(c.type, LM_UC_TEST_BLOCK);
    CHECK_EQ_INT(c.ipv4, 0x7f000001);
    CHECK_EQ_INT(c.port, 4000);
    CHECK_EQ_INT(parse("test_unblock 127.0.0.1:4000", &c), 0);
    CHECK_EQ_INT(c.type, LM_UC_TEST_UNBLOCK);
    CHECK_EQ_INT(parse("test_block 256.0.0.1:4000", &c), LM_EINVAL);
    CHECK_EQ_INT(parse("test_block 127.0.0.1:0", &c), LM_EINVAL);
    CHECK_EQ_INT(parse("test_block 127.0.0.1:99999", &c), LM_EINVAL);
    CHECK_EQ_INT(parse("test_block 127.0.0.1:80x", &c), LM_EINVAL);
}

static void test_json(void)
{
    lm_json j;
    lm_json_init(&j);
    lm_json_open(&j, NULL, '{');
    lm_json_str(&j, "a", "q\"b\\\n\x01\xff z\xc3\xa9");
    lm_json_null(&j, "n");
    lm_json_open(&j, "l", '[');
    lm_json_int(&j, NULL, -5);
    lm_json_uint(&j, NULL, 18446744073709551615ull);
    lm_json_close(&j, ']');
    lm_json_bool(&j, "b", true);
    lm_json_id(&j, "id", 0x00ab00cd00ef0012ull);
    lm_json_id(&j, "none", 0);
    lm_json_close(&j, '}');
    CHECK(!j.oom);
    CHECK_EQ_STR(j.buf, "{\"a\":\"q\\\"b\\\\\\n\\u0001\\ufffd z\xc3\xa9\","
                        "\"n\":null,\"l\":[-5,18446744073709551615],"
                        "\"b\":true,\"id\":\"00ab00cd00ef0012\","
                        "\"none\":null}");
    lm_json_free(&j);
}

/* The file commands: what each line parses to, or the error it gets. */
static void test_file_commands(void)
{
    static const char id[] =
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    static const struct {
        const char *line;
        int rc, type;
        const char *path; /* send: the path; get/cancel: NULL (the id) */
        size_t nto;
        const char *to0, *to1;
    } rows[] = {
        {"send a.txt", 0, LM_UC_SEND, "a.txt", 0, NULL, NULL},
        {"send \"my file.pdf\" bob \"alice (2)\"", 0, LM_UC_SEND,
         "my file.pdf", 2, "bob", "alice (2)"},
        {"send", LM_EINVAL, LM_UC_SEND, NULL, 0, NULL, NULL},
        {"send \"open.txt", LM_EINVAL, LM_UC_SEND, NULL, 0, NULL, NULL},
        {"send a.txt \"bob", LM_EINVAL, LM_UC_SEND, NULL, 0, NULL, NULL},
        {"files", 0, LM_UC_FILES, NULL, 0, NULL, NULL},
        {"files now", LM_EINVAL, LM_UC_FILES, NULL, 0, NULL, NULL},
        {"get 0123", LM_EINVAL, LM_UC_GET, NULL, 0, NULL, NULL},
        {"get 0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef",
         LM_EINVAL, LM_UC_GET, NULL, 0, NULL, NULL},
        {"cancel", LM_EINVAL, LM_UC_CANCEL, NULL, 0, NULL, NULL},
    };
    lm_ucmd c;
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        int rc = parse(rows[i].line, &c);
        if (rc != rows[i].rc)
            printf("  row '%s': rc %d\n", rows[i].line, rc);
        CHECK_EQ_INT(rc, rows[i].rc);
        if (rc < 0) {
            CHECK_EQ_STR(c.code, "bad_command");
            continue;
        }
        CHECK_EQ_INT(c.type, rows[i].type);
        if (rows[i].path)
            CHECK_EQ_STR(c.path, rows[i].path);
        CHECK_EQ_INT((int)c.nto, (int)rows[i].nto);
        if (rows[i].to0)
            CHECK_EQ_STR(c.to[0], rows[i].to0);
        if (rows[i].to1)
            CHECK_EQ_STR(c.to[1], rows[i].to1);
    }
    char line[100];
    snprintf(line, sizeof line, "get %s", id);
    CHECK_EQ_INT(parse(line, &c), 0);
    CHECK_EQ_INT(c.type, LM_UC_GET);
    CHECK_EQ_STR(c.id, id);
    snprintf(line, sizeof line, "cancel %s", id);
    CHECK_EQ_INT(parse(line, &c), 0);
    CHECK_EQ_INT(c.type, LM_UC_CANCEL);
    CHECK_EQ_STR(c.id, id);
    snprintf(line, sizeof line, "get %s0", id);
    CHECK_EQ_INT(parse(line, &c), LM_EINVAL);
}

int main(void)
{
    RUN(test_commands);
    RUN(test_file_commands);
    RUN(test_dm);
    RUN(test_faults);
    RUN(test_json);
    return check_report();
}
