/* raster.h: draws a const view of a world into an RGB buffer. No SDL, no I/O.
 *
 * Contract:
 * - The raster reads a RenderScene (a const EnvView plus optional layers) and writes pixels into a
 *   caller-owned buffer (h, w, 3); it never writes world state and never allocates, so drawing a
 *   frame can never change a trajectory.
 * - The frame size depends only on the config, the options and the sizes of the optional layers,
 *   never on the state: render_layout() gives it once for a whole episode.
 * - Optional layers plug in as plain arrays, so worlds and modules that do not exist yet (the
 *   ocean world's plastic, the comm layer's graph and signals) need no change here: a NULL array
 *   is simply not drawn.
 * - The same scene and options give the same bytes on every machine (integer arithmetic only,
 *   except the HUD's social metrics, formatted from doubles with printf).
 */
#ifndef COMMONS_RASTER_H
#define COMMONS_RASTER_H

#include <stddef.h>
#include <stdint.h>

#include "env.h"

#define RENDER_MIN_CELL 4
#define RENDER_MAX_CELL 64
#define RENDER_MAX_SIGNAL_BITS 16 /* signal bits drawn per agent (more are ignored) */

/* the colours of the display palette, distinct from a config's observation palette */
typedef enum {
    RENDER_C_BACKGROUND = 0, /* around the map and panels */
    RENDER_C_FLOOR,
    RENDER_C_FLOOR_DOT, /* one pixel in each floor cell's top-left corner */
    RENDER_C_WALL,
    RENDER_C_WALL_LIGHT, /* top and left edge of a wall tile */
    RENDER_C_WALL_DARK,  /* bottom and right edge of a wall tile */
    RENDER_C_APPLE,
    RENDER_C_RIVER,
    RENDER_C_RIVER_WAVE,
    RENDER_C_STREAM,
    RENDER_C_STREAM_WAVE,
    RENDER_C_WASTE,
    RENDER_C_SEA, /* ocean: open water (the ocean's empty cell) */
    RENDER_C_SEA_WAVE,
    RENDER_C_LAND, /* ocean: land (the ocean's wall cell) */
    RENDER_C_LAND_DARK,
    RENDER_C_MOUTH,   /* ocean: a river mouth, on the sea */
    RENDER_C_OUTSIDE, /* beyond the map edge (in egocentric views) */
    RENDER_C_UNKNOWN, /* a cell id the raster has no tile for */
    RENDER_C_FIRE,    /* penalty beam, blended half over the tile */
    RENDER_C_CLEAN,   /* cleaning beam, blended half over the tile */
    RENDER_C_NOSE,    /* the bar on the side an agent faces; a vessel's deck */
    RENDER_C_TAGGED,  /* body of a tagged-out agent */
    RENDER_C_TAGGED_NOSE,
    RENDER_C_PLASTIC, /* plastic shading, blended over the tile by density */
    RENDER_C_EDGE,    /* comm edges */
    RENDER_C_SIGNAL_ON,
    RENDER_C_SIGNAL_OFF,
    RENDER_C_HIGHLIGHT, /* the agent whose view is shown, and its view window */
    RENDER_C_HUD,       /* heads-up strip background */
    RENDER_C_TEXT,
    RENDER_C_TEXT_DIM,
    RENDER_C_COUNT
} RenderColour;

/* The RGB triple of a palette colour. */
const uint8_t *render_colour(RenderColour c);

/* What to draw: a view of the world and the optional layers. Zero-initialise, then fill. */
typedef struct RenderScene {
    EnvView view;
    /* beams of the last step (the world's beam list); NULL or n_beam = 0 draws none */
    const int32_t *beam;    /* (n_beam,) padded cell index */
    const uint8_t *beam_id; /* (n_beam,) ENV_ID_FIRE or ENV_ID_CLEAN */
    int n_beam;
    /* ocean: plastic units per cell, shaded over the tile in eighths of plastic_max (more units
     * shade like plastic_max); NULL shades plastic cells by their cell id's level instead */
    const int32_t *plastic; /* (hp, wp) padded like the view's cells */
    int plastic_max;
    /* comm: who hears whom, drawn as lines between agents when options.comm is set */
    const int32_t *edges; /* (n_edges, 2) agent index pairs */
    int n_edges;
    /* comm: the bits each agent emitted this step, drawn on the agent and in the HUD */
    const uint8_t *signal; /* (n_agents, signal_bits) one bit per byte, 0 or 1 */
    int signal_bits;
    /* the observation of options.ego_agent, shown beside the map; NULL shows nothing */
    const uint8_t *ego_obs; /* (obs_h, obs_w, obs_c) in the config's encoding */
} RenderScene;

/* Fills a scene from a world: its view, last step's beams and, in the ocean, its plastic (with
 * plastic_max = ocean.level_cap); the comm layers and ego_obs are left NULL. */
void render_scene_from_world(RenderScene *s, const EnvWorld *w);
/* The same from a view (a policy-side snapshot of a world, sim/view.h); the scene points into
 * it. */
void render_scene_from_view(RenderScene *s, const EnvView *v);

typedef struct RenderOptions {
    int cell;      /* pixels per map cell, RENDER_MIN_CELL..RENDER_MAX_CELL */
    int hud;       /* 1: draw the heads-up strip under the map */
    int comm;      /* 1: draw comm edges and signals when the scene has them */
    int ego_agent; /* -1, or the agent whose view window is outlined and whose ego_obs is shown */
} RenderOptions;

/* cell 8, HUD on, comm on, no egocentric view */
void render_options_default(RenderOptions *o);

/* Checks the options against a config; ENV_EINPUT with a message naming the field. */
int render_options_check(const RenderOptions *o, const EnvConfig *cfg, EnvError *err);

/* Where everything goes, in pixels; a function of config, options and layer sizes only. */
typedef struct RenderLayout {
    int w, h;                /* frame size */
    int cell, text;          /* cell size, text scale (1 or 2) */
    int map_x, map_y;        /* top-left of map cell (0, 0) */
    int ego_x, ego_y;        /* top-left of the egocentric view, when shown */
    int ego_label_y;         /* baseline row of the "agent k sees" label */
    int hud_y, hud_h;        /* heads-up strip */
    int line_h, char_w, pad; /* text line height, character advance, HUD padding */
    int token_chars;         /* characters of one agent's entry in the HUD */
    int tokens_per_line;     /* agent entries per HUD line */
    int agent_line0;         /* HUD line of the first agent entry */
} RenderLayout;

void render_layout(const RenderScene *s, const RenderOptions *o, RenderLayout *l);

/* Draws the scene: rgb (l->h, l->w, 3). l must come from render_layout() with the same options
 * and a scene with the same config and layer sizes. */
void render_frame(const RenderScene *s, const RenderOptions *o, const RenderLayout *l,
                  uint8_t *rgb);

/* Draws text with the built-in 5x7 font (ASCII 32..126; other bytes draw '?'), scaled by
 * `scale`, clipped to the buffer rgb (h, w, 3). Returns the width the text takes, in pixels. */
int render_text(uint8_t *rgb, int w, int h, int x, int y, const char *text, const uint8_t *colour,
                int scale);

/* The 5x7 glyph of a character: 7 rows of 5 characters, '#' for ink, '.' for paper. */
const char *render_glyph(int ch);

#endif
