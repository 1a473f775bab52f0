/* command.h - parsing of the headless commands, one line each.
 *
 *   say TEXT                    a message to the room
 *   dm NAME[,NAME...] TEXT      a direct message; a NAME with spaces is
 *                               written in double quotes: dm "alice (2)" hi,
 *                               and inside them \" is a quote, \\ a backslash
 *   who                         list the room
 *   send PATH [NAME...]         share a file (PATH or NAME may be quoted
 *                               as in dm)
 *   files                       list the files offered to us
 *   get ID, cancel ID           a file by its id (64 hex digits)
 *   quit                        leave the room and exit
 *   test_drop FRACTION          (--test-faults) drop incoming packets
 *   test_block A.B.C.D:PORT     (--test-faults) drop all from that node
 *   test_unblock A.B.C.D:PORT
 *
 * Pure: no I/O. The parsed command points into the line it was given. */
#ifndef LM_COMMAND_H
#define LM_COMMAND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire.h"

typedef enum lm_ucmd_type {
    LM_UC_NONE, /* empty line */
    LM_UC_SAY,
    LM_UC_DM,
    LM_UC_WHO,
    LM_UC_QUIT,
    LM_UC_HELP,
    LM_UC_STATS,
    LM_UC_MUTE,
    LM_UC_UNMUTE,
    LM_UC_PTT, /* on: ptt_on */
    LM_UC_CAMERA, /* on: cam_on */
    LM_UC_SEND,
    LM_UC_FILES,
    LM_UC_GET,
    LM_UC_CANCEL,
    LM_UC_TEST_DROP,
    LM_UC_TEST_BLOCK,
    LM_UC_TEST_UNBLOCK,
} lm_ucmd_type;

typedef struct lm_ucmd {
    lm_ucmd_type type;
    const char *text;              /* say, dm */
    const char *to[LM_MAX_PEERS]; /* dm */
    size_t nto;
    double fraction;               /* test_drop */
    const char *path;              /* send; to[] holds its names */
    const char *id;                /* get, cancel: 64 hex digits */
    bool ptt_on;                   /* ptt */
    bool cam_on;                   /* camera */
    uint32_t ipv4;                 /* test_block: host order */
    uint16_t port;
    char code[24]; /* on error: a short word */
    char msg[200]; /* on error: a sentence */
} lm_ucmd;

/* Parses line (changed in place: quotes and separators become NULs).
 * Returns 0, or LM_EINVAL with code and msg set. */
int lm_command_parse(char *line, lm_ucmd *c);

#endif
