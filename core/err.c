/* err.c - words for the LM_E* codes. */
#include "err.h"

const char *lm_strerror(int code)
{
    switch (code) {
    case LM_OK: return "no error";
    case LM_ENOMEM: return "out of memory";
    case LM_EINVAL: return "invalid argument";
    case LM_EPROTO: return "malformed message";
    case LM_ETOOBIG: return "too large";
    case LM_EUNKNOWN: return "unknown message type";
    case LM_EVERSION: return "protocol version mismatch";
    case LM_EROOM: return "peer is in another room";
    case LM_ENOTFOUND: return "not found";
    case LM_EFULL: return "queue or table full";
    case LM_EIO: return "input/output error";
    case LM_EUTF8: return "text is not valid UTF-8";
    case LM_EAUTH: return "authentication failed (wrong key or forged)";
    case LM_EREPLAY: return "replayed packet";
    }
    return "unknown error";
}
