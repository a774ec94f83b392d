/* view.h: what policies and renderers are given of a world: a snapshot that cannot change it.
 *
 * Contract:
 * - A SimView belongs to the episode stepper (the policy side). It holds a deep copy of the
 *   world's config (the EnvConfig struct and every array it points to, so that each pointer of
 *   the copy points inside the copy) in a private anonymous mapping sealed read-only (mprotect)
 *   once it is built; and SIM_VIEW_SLOTS buffers of state (cells, occupancy, agents, rewards,
 *   metrics, beams, ocean plastic, received messages) that sim_view_take() fills from the world.
 * - No pointer in a taken view or in its config points into the world's state or into the
 *   config the world reads. A write through the state of a view changes that copy only; a write
 *   through its config faults at the write (SIGSEGV). `const` is not the protection; the copy
 *   and the page protection are.
 * - The stepper takes slot SIM_VIEW_SHARED once a step for the built-in scripted policies (which
 *   only read) and the renderer; a policy written in C gets slot SIM_VIEW_OWN taken afresh for
 *   each of its calls, so what it writes there reaches nobody, not even the next policy.
 * - Limits, honestly: C code in the same process can still compute any address it likes; what
 *   is guaranteed is that nothing a policy is *given* leads to the world.
 * - Cost of a take: a copy of two bytes a padded cell (six in the ocean), the agents, the beams
 *   and the messages; no system call. (Sealing the state read-only at every step instead cost
 *   5 to 11 us a step in mprotect calls on the test machine, more than the policies.)
 * - This file is the one of sim/ that uses POSIX memory mappings (mmap, mprotect).
 */
#ifndef COMMONS_SIM_VIEW_H
#define COMMONS_SIM_VIEW_H

#include <stddef.h>
#include <stdint.h>

#include "env.h"

enum { SIM_VIEW_SHARED = 0, SIM_VIEW_OWN = 1, SIM_VIEW_SLOTS = 2 };

typedef struct SimView {
    uint8_t *cfg_mem;               /* (cfg_size,) the read-only mapping holding the config copy */
    size_t cfg_size;                /* bytes mapped, a whole number of pages */
    const EnvConfig *cfg;           /* the config copy, inside cfg_mem */
    uint8_t *state[SIM_VIEW_SLOTS]; /* (SIM_VIEW_SLOTS, state_size) the state snapshots */
    size_t state_size;
    int beam_cap;      /* beam cells a state snapshot holds */
    int has_plastic;   /* 1: a state snapshot holds plastic units per cell */
    size_t msg_floats; /* (n_agents * msg_size) message floats a state snapshot holds */
} SimView;

/* Sizes a snapshot for worlds like w (its config, beam capacity and plastic), with room for
 * msg_floats floats of received messages, and copies the config, sealed read-only. Returns 0,
 * ENV_ENOMEM or ENV_EIO (the mapping or its protection failed). */
int sim_view_init(SimView *sv, const EnvWorld *w, size_t msg_floats, EnvError *err);
void sim_view_close(SimView *sv);

/* Copies what the live view points at (a view of the same world, from env_view() and
 * comm_session_view()) into state slot `slot` and fills out with the same view, every pointer
 * into the copy and out->cfg the config copy. */
void sim_view_take(SimView *sv, int slot, const EnvView *live, EnvView *out);

/* 1 when the n bytes at p lie inside the snapshot's memory (for tests and checks). */
int sim_view_holds(const SimView *sv, const void *p, size_t n);

#endif
