/* err.h - error codes shared by every lanmeet module.
 *
 * Functions return 0 on success and a negative LM_E* value on failure; the
 * caller decides what to tell the user, with lm_strerror() for the words. */
#ifndef LM_ERR_H
#define LM_ERR_H

enum {
    LM_OK = 0,
    LM_ENOMEM = -1,    /* allocation failed */
    LM_EINVAL = -2,    /* bad argument from the caller or the user */
    LM_EPROTO = -3,    /* malformed bytes from the network or a file */
    LM_ETOOBIG = -4,   /* over a size cap */
    LM_EUNKNOWN = -5,  /* unknown message type (counted and ignored) */
    LM_EVERSION = -6,  /* peer speaks another protocol version */
    LM_EROOM = -7,     /* peer belongs to another room */
    LM_ENOTFOUND = -8, /* no such peer, name or item */
    LM_EFULL = -9,     /* a bounded queue or table is full */
    LM_EIO = -10,      /* the operating system said no */
    LM_EUTF8 = -11,    /* text is not valid UTF-8 */
    LM_EAUTH = -12,    /* a sealed packet failed to open: forged or wrong key */
    LM_EREPLAY = -13,  /* a sealed packet was seen before */
};

/* Text for a code, for a person; never NULL. */
const char *lm_strerror(int code);

#endif
