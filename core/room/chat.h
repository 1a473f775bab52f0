/* chat.h - group chat and direct messages, a service on the mesh.
 *
 * Group chat goes through the hub, which gives each message the next
 * sequence number; direct messages go straight to each recipient. Attach
 * it to a node before lm_node_start; the node frees it. The commands are
 * thread-safe and answered by events (chat, error), like the node's own. */
#ifndef LM_CHAT_H
#define LM_CHAT_H

#include <stddef.h>

#include "mesh/mesh.h"

typedef struct lm_chat lm_chat;

/* Returns NULL with *err set (LM_ENOMEM, or lm_mesh_attach's code). */
lm_chat *lm_chat_attach(lm_node *n, int *err);

/* Each returns 0, or LM_EFULL when the node's command queue is full
 * (nothing posted: post again once lm_node_cmd_fd is readable), or
 * LM_EINVAL / LM_ENOMEM. to: display names, base names or ids. */
int lm_chat_say(lm_chat *c, const char *text);
int lm_chat_dm(lm_chat *c, const char *const *to, size_t nto,
               const char *text);

#endif
