/* txt.h - the DNS-SD TXT record of a lanmeet node, without any mDNS library.
 *
 * A node publishes six "key=value" strings:
 *     ver=1 id=<16 hex> name=<display name> room=<room> role=<role> term=<n>
 * and its service instance is called "<name> (<first 8 hex digits of id>)".
 * This module builds those strings and reads them back, by the rules below,
 * so that any discovery backend (and the tests and the fuzzer) share one
 * strict reader. It does no I/O and keeps no state.
 *
 * The rules of a record, as read:
 *   - keys are case-insensitive; a key we do not know, and a string without
 *     '=', is skipped (room for later versions); a known key given twice
 *     makes the record malformed;
 *   - "id" is 1 to 16 hex digits and not 0, and must be there;
 *   - "term" is 1 to 20 decimal digits, "ver" 1 to 10, no sign, no
 *     overflow (uint64_t and uint32_t); both may be missing (then 0);
 *   - "name", "room", "role" are text: a NUL byte in them is malformed;
 *     longer than their field they are cut at a UTF-8 character boundary.
 *     Text is not checked for UTF-8 validity here (nor was it before this
 *     module): whoever shows a name or room must check it first. Text that
 *     was valid stays valid when cut.
 */
#ifndef LM_TXT_H
#define LM_TXT_H

#include <stddef.h>
#include <stdint.h>

#include "discovery.h"
#include "wire.h"

#define LM_TXT_VERSION LM_PROTO_VERSION /* "ver": the lanmeet protocol */
#define LM_TXT_ITEMS 6   /* strings in a record we build */
/* longest string we build, with its NUL: "name=" + 63 bytes + NUL */
#define LM_TXT_ITEM_MAX 72
#define LM_TXT_INSTANCE_MAX 63 /* a DNS label: 63 bytes */

/* One TXT string as it came off the wire: not NUL-terminated, may hold any
 * byte. data may be NULL when len is 0 (a NULL item is skipped). */
typedef struct lm_txt_item {
    const char *data;
    size_t len;
} lm_txt_item;

/* The strings of a record we publish, in order: ver, id, name, room, role,
 * term. str[i] is NUL-terminated, len[i] is its length without the NUL. */
typedef struct lm_txt_record {
    size_t n;
    size_t len[LM_TXT_ITEMS];
    char str[LM_TXT_ITEMS][LM_TXT_ITEM_MAX];
} lm_txt_record;

/* Parses one peer's TXT strings into *out: id, name, room, role, term and
 * version; out->ipv4 and out->port are left as they are. Returns 0, or
 * LM_EPROTO when the record breaks a rule (then *out is unchanged), or
 * LM_EINVAL for a NULL out or items NULL with n > 0. Never reads past a
 * length. */
int lm_txt_parse(const lm_txt_item *items, size_t n, lm_disc_peer *out);

/* Builds the TXT strings for self into *out; name, room and role (NULL is
 * "") are cut to the fields of lm_disc_peer at a UTF-8 boundary, so what is
 * built parses back to the same values. Returns 0, or LM_EINVAL when self
 * or out is NULL or self->id is 0 (a record without an id is no record). */
int lm_txt_build(const lm_disc_self *self, lm_txt_record *out);

/* The service instance name "<name> (<first 8 hex digits of id>)", the name
 * ("lanmeet" when NULL or empty) cut at a UTF-8 boundary so that it all
 * fits one DNS label. */
void lm_txt_instance_name(const char *name, uint64_t id,
                          char out[LM_TXT_INSTANCE_MAX + 1]);

/* Copies at most cap-1 bytes of src[0..len) into dst and NUL-terminates it,
 * without cutting a UTF-8 sequence in two; src NULL is "". cap must be at
 * least 1. Returns the length copied. */
size_t lm_txt_copy(char *dst, size_t cap, const char *src, size_t len);

#endif
