/* election.h - who is hub and who is deputy: pure logic, no I/O.
 *
 * Every node advertises an lm_elect_state (term, hub, deputy) to its peers.
 * lm_election_decide() takes this node's view of the live membership and
 * what each member advertises, and returns the state this node should hold
 * and advertise next. Fed the same inputs, every node reaches the same
 * answer, so the room converges on one hub. Rules (DESIGN.md section 1):
 *  1. after any change the room converges on exactly one hub;
 *  2. a forced node (--host) becomes hub; of two, the smaller id wins;
 *  3. a hub is sticky: a joining node never takes over unless forced;
 *  4. when the hub is lost its deputy takes over;
 *  5. every election raises the term; between live hubs, the higher term,
 *     then the larger support, then the smaller id wins;
 *  6. a node the hub hands the hub to (lm_elect_input.take) claims a new
 *     term, unless a forced node is live.
 * A claim is made by one run of its hub (lm_elect_state.hub_run): a node
 * restarted under the same id is not the hub its old run was (it lost the
 * state), so the old run's claim counts as a lost hub, and rule 4 applies.
 * Ids are non-zero; 0 means "none". The caller owns every array passed in.
 */
#ifndef LM_ELECTION_H
#define LM_ELECTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire.h" /* lm_elect_state */

typedef struct lm_elect_member {
    uint64_t id;
    bool forced;       /* started with --host */
    lm_elect_state st; /* what it last advertised */
    uint32_t run;      /* its run now (a restart makes a new one) */
} lm_elect_member;

typedef struct lm_elect_input {
    uint64_t self;
    bool self_forced;
    lm_elect_state cur;           /* what this node holds now */
    const lm_elect_member *peers; /* live linked peers, self excluded */
    size_t npeers;
    const uint64_t *gone; /* ids whose link this node saw drop */
    size_t ngone;
    bool may_claim; /* start-up grace is over: an empty room may elect */
    uint32_t self_run; /* this run of the node (claims it makes carry it) */
    bool take; /* the hub handed the hub to this node (it reaches more of
                  the room, reach.h): claim a new term unless forced */
} lm_elect_input;

enum lm_elect_note {
    LM_ELECT_NOTE_NONE = 0,
    LM_ELECT_NOTE_FORCED_LOST = 1, /* self forced, a smaller forced id wins */
};

/* Returns the state to hold next; *note (may be NULL) gets an
 * lm_elect_note the caller should tell the user about. */
lm_elect_state lm_election_decide(const lm_elect_input *in, int *note);


#endif
