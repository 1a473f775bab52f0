/* reach.h - who cannot reach whom, and who should be hub: pure logic.
 *
 * Every member tells the others which members it is linked to (PEERS, on
 * every join and leave). From its own links and those lists a node sees
 * the room two hops deep: itself, the members it is linked to, and the
 * members they name. A pair of those that neither side reports linked is
 * a cut: the two cannot reach each other although both are in the room
 * (a Wi-Fi access point with client isolation, a flaky switch port). A
 * pair about which nothing is known (two members we are not linked to) is
 * not judged.
 *
 * Chat goes member -> hub -> all, so a hub that some member cannot reach
 * loses that member's chat; lm_reach_successor() names the linked member
 * that reaches strictly more of the room, to hand the hub to. Reach only
 * rises with each hand-over, so the room never hands it round in circles.
 *
 * No clock here: the caller decides how long a cut must last before it is
 * told (links come up one by one, so a joining node is briefly a "cut").
 */
#ifndef LM_REACH_H
#define LM_REACH_H

#include <stddef.h>
#include <stdint.h>

/* A member this node is linked to, and the members it reports linked. */
typedef struct lm_reach_peer {
    uint64_t id;
    const uint64_t *links;
    size_t nlinks;
} lm_reach_peer;

typedef struct lm_reach_view {
    uint64_t self;
    const lm_reach_peer *peers; /* our live links; ids unique, non-zero */
    size_t npeers;
} lm_reach_view;

typedef struct lm_reach_pair {
    uint64_t a, b; /* a < b */
} lm_reach_pair;

#define LM_REACH_MAX_NODES 256 /* nodes one view can name; more are ignored */

/* Writes up to cap cut pairs to out in a stable order (by a, then b) and
 * returns how many there are in all (which may exceed cap). */
size_t lm_reach_cuts(const lm_reach_view *v, lm_reach_pair *out, size_t cap);

/* Members of the room that id is known to be linked to (0 if id is not in
 * the view). */
size_t lm_reach_of(const lm_reach_view *v, uint64_t id);

/* For a hub: the linked member to hand the hub to, or 0 to keep it. Only
 * when some member cannot reach this node, and only to one that reaches
 * strictly more of the room; of equals, the smaller id. */
uint64_t lm_reach_successor(const lm_reach_view *v);

#endif
