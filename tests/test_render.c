/* test_render.c: the raster pixel by pixel on tiny maps (tiles, agents and their facing, tagged
 * agents, beams, plastic, comm edges and signals, the egocentric panel, the HUD text), the layout,
 * that drawing never changes a trajectory; and the recorders: GIF frames decoded back exactly,
 * PNG frames, MP4 through ffmpeg (H.264, yuv420p), bad targets and a missing ffmpeg.
 */
#define _POSIX_C_SOURCE 200809L
#include "helpers.h"

#include <dirent.h>
#include <gif_lib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stb_image.h>

#include "../env/game.h"
#include "raster.h"
#include "record.h"

#define CS 8

/* a 3x7 room: spawn, floor, apple; waste, river, stream; walls around */
static const char *TILES = "@@@@@@@\n"
                           "@P A  @\n"
                           "@HRS  @\n"
                           "@@@@@@@\n";

/* an open 5x9 room for agents, with one river cell (Cleanup needs a river) */
static const char *ROOM = "@@@@@@@@@\n"
                          "@P     P@\n"
                          "@       @\n"
                          "@P  R  P@\n"
                          "@@@@@@@@@\n";

typedef struct Fixture {
    EnvParams p;
    EnvConfig cfg;
    EnvWorld w;
    RenderScene s;
    RenderOptions o;
    RenderLayout l;
    uint8_t *rgb;
} Fixture;

static Fixture *fixture(const char *preset, const char *map, int agents, const char *set) {
    Fixture *f = calloc(1, sizeof *f);
    char a[32];
    snprintf(a, sizeof a, "env.agents=%d", agents);
    th_params(&f->p, preset, a, "apples.start=1", set, (const char *)NULL);
    th_config_with_map(&f->cfg, &f->p, map);
    EnvError err;
    assert_int_equal(env_world_init(&f->w, &f->cfg, 1, 0, &err), 0);
    env_reset(&f->w, 0);
    render_options_default(&f->o);
    f->o.cell = CS;
    f->o.hud = 0;
    return f;
}

static void fixture_free(Fixture *f) {
    free(f->rgb);
    env_world_close(&f->w);
    env_config_close(&f->cfg);
    free(f);
}

/* places agent i, first moving any other agent off the target to a free floor cell */
static void place(Fixture *f, int i, int r, int c, int orient) {
    int other = f->w.occ[th_idx(&f->cfg, r, c)] - 1;
    if (other >= 0 && other != i) {
        for (int rr = 0; rr < f->cfg.map.h; rr++)
            for (int cc = 0; cc < f->cfg.map.w; cc++) {
                int32_t idx = th_idx(&f->cfg, rr, cc);
                if ((rr != r || cc != c) && f->w.cell[idx] == ENV_ID_EMPTY && !f->w.occ[idx]) {
                    th_place(&f->w, other, rr, cc, ENV_NORTH);
                    rr = f->cfg.map.h;
                    break;
                }
            }
    }
    th_place(&f->w, i, r, c, orient);
}

/* draws the world with the fixture's options (scene layers set by the caller are kept) */
static void draw(Fixture *f, int refresh_scene) {
    if (refresh_scene) render_scene_from_world(&f->s, &f->w);
    render_layout(&f->s, &f->o, &f->l);
    free(f->rgb);
    f->rgb = malloc((size_t)f->l.w * (size_t)f->l.h * 3);
    memset(f->rgb, 0xAB, (size_t)f->l.w * (size_t)f->l.h * 3);
    render_frame(&f->s, &f->o, &f->l, f->rgb);
}

static const uint8_t *px(const Fixture *f, int x, int y) {
    assert_true(x >= 0 && y >= 0 && x < f->l.w && y < f->l.h);
    return f->rgb + ((size_t)y * (size_t)f->l.w + (size_t)x) * 3;
}

/* the pixel (x, y) of map cell (r, c) */
static const uint8_t *cell_px(const Fixture *f, int r, int c, int x, int y) {
    return px(f, f->l.map_x + c * CS + x, f->l.map_y + r * CS + y);
}

static void expect_rgb(const uint8_t *got, const uint8_t *want, const char *what) {
    if (memcmp(got, want, 3) != 0)
        fail_msg("%s: got (%d, %d, %d), expected (%d, %d, %d)", what, got[0], got[1], got[2],
                 want[0], want[1], want[2]);
}

static void blend_of(const uint8_t *a, const uint8_t *b, int num, int den, uint8_t *out) {
    for (int k = 0; k < 3; k++)
        out[k] = (uint8_t)((a[k] * (den - num) + b[k] * num + den / 2) / den);
}

#define C(name) render_colour(RENDER_C_##name)

/* the layout is the map at CS pixels a cell, with a HUD at least 24 characters wide */
static void test_layout(void **state) {
    (void)state;
    Fixture *f = fixture("cleanup", TILES, 1, NULL);
    draw(f, 1);
    assert_int_equal(f->l.w, 7 * CS);
    assert_int_equal(f->l.h, 4 * CS);
    assert_int_equal(f->l.map_x, 0);
    f->o.hud = 1;
    draw(f, 1);
    assert_int_equal(f->l.w, 2 * f->l.pad + 24 * 6);
    assert_int_equal(f->l.map_x, (f->l.w - 7 * CS) / 2);
    assert_int_equal(f->l.hud_y, 4 * CS);
    assert_true(f->l.h > 4 * CS);
    /* the layout never changes while the episode runs */
    RenderLayout first = f->l;
    int32_t act[ENV_MAX_AGENTS] = {ENV_ACT_CLEAN};
    for (int t = 0; t < 30; t++) env_step(&f->w, act, NULL);
    draw(f, 1);
    assert_memory_equal(&first, &f->l, sizeof first);
    /* bad options are named */
    EnvError err;
    f->o.cell = 3;
    assert_int_equal(render_options_check(&f->o, &f->cfg, &err), ENV_EINPUT);
    assert_non_null(strstr(err.msg, "cell size 3"));
    f->o.cell = CS;
    f->o.ego_agent = 1;
    assert_int_equal(render_options_check(&f->o, &f->cfg, &err), ENV_EINPUT);
    assert_non_null(strstr(err.msg, "agent 1"));
    fixture_free(f);
}

/* a tile per cell type, pixel by pixel */
static void test_tiles(void **state) {
    (void)state;
    Fixture *f = fixture("cleanup", TILES, 1, NULL);
    place(f, 0, 1, 5, ENV_NORTH); /* out of the way */
    draw(f, 1);
    /* wall: light top-left edges, dark bottom-right edges, plain inside */
    expect_rgb(cell_px(f, 0, 0, 4, 4), C(WALL), "wall inside");
    expect_rgb(cell_px(f, 0, 0, 4, 0), C(WALL_LIGHT), "wall top edge");
    expect_rgb(cell_px(f, 0, 0, 0, 4), C(WALL_LIGHT), "wall left edge");
    expect_rgb(cell_px(f, 0, 0, 4, CS - 1), C(WALL_DARK), "wall bottom edge");
    expect_rgb(cell_px(f, 0, 0, CS - 1, 4), C(WALL_DARK), "wall right edge");
    /* floor: plain with a dot in the corner (the spawn point is floor too) */
    expect_rgb(cell_px(f, 1, 2, 4, 4), C(FLOOR), "floor");
    expect_rgb(cell_px(f, 1, 2, 0, 0), C(FLOOR_DOT), "floor dot");
    expect_rgb(cell_px(f, 1, 1, 4, 4), C(FLOOR), "spawn point");
    /* apple: a disc on the floor */
    expect_rgb(cell_px(f, 1, 3, 3, 3), C(APPLE), "apple centre");
    expect_rgb(cell_px(f, 1, 3, 1, 3), C(APPLE), "apple left of disc");
    expect_rgb(cell_px(f, 1, 3, 0, 3), C(FLOOR), "apple outside the disc");
    expect_rgb(cell_px(f, 1, 3, CS - 1, CS - 1), C(FLOOR), "apple corner");
    /* river and stream: water with a wave two pixels up, two down */
    expect_rgb(cell_px(f, 2, 2, 0, 0), C(RIVER), "river");
    expect_rgb(cell_px(f, 2, 2, 0, CS / 2 - 1), C(RIVER_WAVE), "river wave up");
    expect_rgb(cell_px(f, 2, 2, 2, CS / 2), C(RIVER_WAVE), "river wave down");
    expect_rgb(cell_px(f, 2, 2, 2, CS / 2 - 1), C(RIVER), "river under the wave");
    expect_rgb(cell_px(f, 2, 3, 0, 0), C(STREAM), "stream");
    expect_rgb(cell_px(f, 2, 3, 0, CS / 2 - 1), C(STREAM_WAVE), "stream wave");
    /* waste: a blob on the river */
    expect_rgb(cell_px(f, 2, 1, 3, 4), C(WASTE), "waste centre");
    expect_rgb(cell_px(f, 2, 1, 0, 0), C(RIVER), "waste corner");
    /* a cell id without a tile is impossible to miss */
    th_set_cell(&f->w, 1, 4, ENV_ID_SELF); /* an id that is never a cell in these games */
    draw(f, 1);
    expect_rgb(cell_px(f, 1, 4, 2, 0), C(UNKNOWN), "unknown id");
    fixture_free(f);
}

/* agents: a body in the agent's colour with a bar on the side it faces; corners cut */
static void test_agents_and_facing(void **state) {
    (void)state;
    Fixture *f = fixture("harvest", ROOM, 2, NULL);
    place(f, 1, 3, 7, ENV_NORTH);
    const uint8_t *body = f->cfg.agent_colour[0], *nose = C(NOSE);
    /* (nose pixel, body pixel on the opposite side) for each orientation; CS 8: inset 1, bar 2 */
    static const int probe[4][4] = {{4, 1, 4, 6}, {6, 4, 1, 4}, {4, 6, 4, 1}, {1, 4, 6, 4}};
    for (int o = 0; o < 4; o++) {
        place(f, 0, 2, 3, o);
        draw(f, 1);
        char what[64];
        snprintf(what, sizeof what, "orientation %d: nose", o);
        expect_rgb(cell_px(f, 2, 3, probe[o][0], probe[o][1]), nose, what);
        snprintf(what, sizeof what, "orientation %d: body", o);
        expect_rgb(cell_px(f, 2, 3, probe[o][2], probe[o][3]), body, what);
        expect_rgb(cell_px(f, 2, 3, 0, 0), C(FLOOR_DOT), "outside the body");
        expect_rgb(cell_px(f, 2, 3, 1, 1), C(FLOOR), "a cut corner");
    }
    /* the other agent has its own colour */
    expect_rgb(cell_px(f, 3, 7, 4, 6), f->cfg.agent_colour[1], "agent 1 colour");
    assert_memory_not_equal(f->cfg.agent_colour[0], f->cfg.agent_colour[1], 3);
    /* a tagged-out agent is greyed, facing still shown */
    place(f, 0, 2, 3, ENV_NORTH);
    f->w.agent[0].timeout = 5;
    draw(f, 1);
    expect_rgb(cell_px(f, 2, 3, 4, 6), C(TAGGED), "tagged body");
    expect_rgb(cell_px(f, 2, 3, 4, 1), C(TAGGED_NOSE), "tagged bar");
    fixture_free(f);
}

/* beams are blended half over the tile, once even when a cell is listed twice */
static void test_beams(void **state) {
    (void)state;
    Fixture *f = fixture("cleanup", ROOM, 1, NULL);
    place(f, 0, 1, 1, ENV_EAST);
    int32_t cells[3] = {th_idx(&f->cfg, 2, 3), th_idx(&f->cfg, 2, 4), th_idx(&f->cfg, 2, 4)};
    uint8_t ids[3] = {ENV_ID_FIRE, ENV_ID_CLEAN, ENV_ID_CLEAN};
    render_scene_from_world(&f->s, &f->w);
    f->s.beam = cells;
    f->s.beam_id = ids;
    f->s.n_beam = 3;
    draw(f, 0);
    uint8_t want[3];
    blend_of(C(FLOOR), C(FIRE), 1, 2, want);
    expect_rgb(cell_px(f, 2, 3, 4, 4), want, "fire beam over floor");
    blend_of(C(FLOOR), C(CLEAN), 1, 2, want);
    expect_rgb(cell_px(f, 2, 4, 4, 4), want, "clean beam listed twice");
    expect_rgb(cell_px(f, 2, 5, 4, 4), C(FLOOR), "no beam");
    /* a real beam: the world's list reaches the frame */
    int32_t act[ENV_MAX_AGENTS] = {ENV_ACT_FIRE};
    env_step(&f->w, act, NULL);
    draw(f, 1);
    int seen = 0;
    for (int b = 0; b < f->w.n_beam; b++) {
        int32_t idx = f->w.beam[b];
        if (f->w.cell[idx] != ENV_ID_EMPTY || f->w.occ[idx]) continue;
        int r = idx / f->cfg.wp - f->cfg.pad, c = idx % f->cfg.wp - f->cfg.pad;
        blend_of(C(FLOOR), f->w.beam_id[b] == ENV_ID_CLEAN ? C(CLEAN) : C(FIRE), 1, 2, want);
        expect_rgb(cell_px(f, r, c, 4, 4), want, "the world's fire beam");
        seen++;
    }
    assert_true(seen > 0);
    fixture_free(f);
}

/* plastic: eighths of plastic_max, up to 3/4 of the plastic colour over the tile */
static void test_plastic(void **state) {
    (void)state;
    Fixture *f = fixture("cleanup", ROOM, 1, NULL);
    int32_t *units = calloc((size_t)f->cfg.hp * (size_t)f->cfg.wp, sizeof *units);
    units[th_idx(&f->cfg, 2, 2)] = 1;  /* 1 of 8: one eighth */
    units[th_idx(&f->cfg, 2, 3)] = 4;  /* half */
    units[th_idx(&f->cfg, 2, 4)] = 8;  /* full */
    units[th_idx(&f->cfg, 2, 5)] = 80; /* more than full: like full */
    render_scene_from_world(&f->s, &f->w);
    f->s.plastic = units;
    f->s.plastic_max = 8;
    draw(f, 0);
    static const int eighths[4] = {1, 4, 8, 8};
    for (int k = 0; k < 4; k++) {
        uint8_t want[3];
        blend_of(C(FLOOR), C(PLASTIC), eighths[k] * 3, 32, want);
        expect_rgb(cell_px(f, 2, 2 + k, 4, 4), want, "plastic shade");
    }
    expect_rgb(cell_px(f, 2, 6, 4, 4), C(FLOOR), "no plastic");
    free(units);
    fixture_free(f);
}

/* the ocean's tiles: sea, land, river mouths, plastic shaded by units; vessels have a deck */
static void test_ocean(void **state) {
    (void)state;
    static const char *BASIN = "@@@@@@\n"
                               "@P   @\n"
                               "@M  P@\n"
                               "@@@@@@\n";
    Fixture *f = fixture("ocean-small", BASIN, 2, "ocean.initial_patches=0");
    place(f, 0, 1, 1, ENV_NORTH);
    place(f, 1, 2, 4, ENV_NORTH);
    draw(f, 1);
    assert_non_null(f->s.plastic);
    assert_int_equal(f->s.plastic_max, f->p.level_cap);
    expect_rgb(cell_px(f, 1, 2, 0, 0), C(SEA), "sea");
    expect_rgb(cell_px(f, 1, 2, 0, CS / 2 - 1), C(SEA_WAVE), "sea wave");
    expect_rgb(cell_px(f, 0, 0, 1, 1), C(LAND), "land");
    expect_rgb(cell_px(f, 2, 1, 3, 3), C(MOUTH), "river mouth");
    expect_rgb(cell_px(f, 2, 1, 0, 0), C(SEA), "river mouth on the sea");
    /* a vessel: no facing, a deck in the middle */
    expect_rgb(cell_px(f, 1, 1, 3, 3), C(NOSE), "deck");
    expect_rgb(cell_px(f, 1, 1, 4, 1), f->cfg.agent_colour[0], "hull (no bar on top)");
    /* plastic from the world's units */
    f->w.plastic[th_idx(&f->cfg, 1, 3)] = f->p.level_cap;
    draw(f, 1);
    uint8_t want[3];
    blend_of(C(SEA), C(PLASTIC), 24, 32, want);
    expect_rgb(cell_px(f, 1, 3, 0, 0), want, "full plastic");
    /* without units, the cell id's level: PLASTIC2 is half */
    f->s.plastic = NULL;
    f->w.plastic[th_idx(&f->cfg, 1, 3)] = 0;
    th_set_cell(&f->w, 1, 3, ENV_ID_PLASTIC2);
    draw(f, 0);
    blend_of(C(SEA), C(PLASTIC), 12, 32, want);
    expect_rgb(cell_px(f, 1, 3, 0, 0), want, "plastic by level");
    fixture_free(f);
}

/* comm edges: a line between the centres of the agents; off with options.comm = 0 */
static void test_comm_edges(void **state) {
    (void)state;
    Fixture *f = fixture("harvest", ROOM, 3, NULL);
    place(f, 0, 2, 1, ENV_NORTH);
    place(f, 1, 2, 5, ENV_NORTH);
    place(f, 2, 1, 7, ENV_NORTH);
    int32_t edges[] = {0, 1, 1, 0, 0, 0, 2, 9, -1, 1};
    render_scene_from_world(&f->s, &f->w);
    f->s.edges = edges;
    f->s.n_edges = 5; /* a real edge both ways, a self-loop and two bad indices, ignored */
    draw(f, 0);
    for (int c = 2; c <= 4; c++)
        for (int x = 0; x < CS; x++) expect_rgb(cell_px(f, 2, c, x, CS / 2), C(EDGE), "edge");
    expect_rgb(cell_px(f, 2, 3, 4, CS / 2 - 1), C(FLOOR), "beside the edge");
    expect_rgb(cell_px(f, 1, 6, 4, 4), C(FLOOR), "no edge to agent 2");
    f->o.comm = 0;
    draw(f, 0);
    expect_rgb(cell_px(f, 2, 3, 4, CS / 2), C(FLOOR), "comm overlay off");
    fixture_free(f);
}

/* signals: the bottom quarter of an agent's cell, one segment per bit; and in the HUD */
static void test_signals(void **state) {
    (void)state;
    Fixture *f = fixture("harvest", ROOM, 2, NULL);
    place(f, 0, 2, 2, ENV_NORTH);
    place(f, 1, 2, 6, ENV_NORTH);
    uint8_t bits[8] = {1, 0, 1, 1, 0, 0, 0, 0};
    render_scene_from_world(&f->s, &f->w);
    f->s.signal = bits;
    f->s.signal_bits = 4;
    draw(f, 0);
    for (int k = 0; k < 4; k++)
        for (int x = 2 * k; x < 2 * k + 2; x++)
            for (int y = CS - 2; y < CS; y++)
                expect_rgb(cell_px(f, 2, 2, x, y), bits[k] ? C(SIGNAL_ON) : C(SIGNAL_OFF), "bit");
    expect_rgb(cell_px(f, 2, 6, 0, CS - 1), C(SIGNAL_OFF), "agent 1 sends nothing");
    expect_rgb(cell_px(f, 2, 2, 4, 3), f->cfg.agent_colour[0], "body above the bits");
    /* the HUD entry holds the bits as text, dimmed */
    f->o.hud = 1;
    draw(f, 0);
    assert_int_equal(f->l.token_chars, 10 + 1 + 4);
    int w = f->l.w, h = f->l.h;
    uint8_t *ref = malloc((size_t)w * (size_t)h * 3);
    memcpy(ref, f->rgb, (size_t)w * (size_t)h * 3);
    int x = f->l.pad + 11 * f->l.char_w, y = f->l.hud_y + f->l.pad + f->l.agent_line0 * f->l.line_h;
    for (int yy = y; yy < y + 7; yy++)
        for (int xx = x; xx < x + 4 * f->l.char_w; xx++)
            memcpy(ref + ((size_t)yy * w + xx) * 3, C(HUD), 3);
    render_text(ref, w, h, x, y, "1011", C(TEXT_DIM), 1);
    assert_memory_equal(ref, f->rgb, (size_t)w * (size_t)h * 3);
    free(ref);
    fixture_free(f);
}

/* text: every glyph is 35 cells of ink and paper, drawn as they say, scaled */
static void test_font(void **state) {
    (void)state;
    for (int ch = 32; ch < 127; ch++) {
        const char *g = render_glyph(ch);
        assert_int_equal(strlen(g), 35);
        assert_true(strspn(g, "#.") == 35);
    }
    assert_string_equal(render_glyph(7), render_glyph('?'));
    assert_string_equal(render_glyph(200), render_glyph('?'));
    uint8_t buf[20 * 16 * 3] = {0};
    static const uint8_t ink[3] = {1, 2, 3};
    assert_int_equal(render_text(buf, 20, 16, 1, 1, "7", ink, 2), 12);
    const char *g = render_glyph('7');
    for (int y = 0; y < 16; y++)
        for (int x = 0; x < 20; x++) {
            int gx = (x - 1) / 2, gy = (y - 1) / 2;
            int on = x >= 1 && y >= 1 && gx < 5 && gy < 7 && g[gy * 5 + gx] == '#';
            const uint8_t *p = buf + ((size_t)y * 20 + x) * 3;
            if (on)
                assert_memory_equal(p, ink, 3);
            else
                assert_int_equal(p[0] | p[1] | p[2], 0);
        }
    /* clipped at the edges, never written outside */
    uint8_t small[4 * 4 * 3 + 3] = {0};
    small[48] = 0x55;
    render_text(small, 4, 4, -2, -3, "WW", ink, 1);
    assert_int_equal(small[48], 0x55);
}

/* the HUD's first line is the tick, drawn like render_text draws it */
static void test_hud(void **state) {
    (void)state;
    Fixture *f = fixture("cleanup", TILES, 1, "env.max_steps=10");
    int32_t act[ENV_MAX_AGENTS] = {ENV_ACT_STAY};
    for (int t = 0; t < 3; t++) env_step(&f->w, act, NULL);
    f->o.hud = 1;
    draw(f, 1);
    int w = f->l.w, h = f->l.h, x = f->l.pad, y = f->l.hud_y + f->l.pad;
    uint8_t *ref = malloc((size_t)w * (size_t)h * 3);
    for (size_t i = 0; i < (size_t)w * (size_t)h; i++) memcpy(ref + 3 * i, C(HUD), 3);
    render_text(ref, w, h, x, y, "t  3/10", C(TEXT), 1);
    for (int yy = y; yy < y + 7; yy++)
        assert_memory_equal(ref + ((size_t)yy * w + x) * 3, px(f, x, yy), 7 * 6 * 3);
    /* the agent's swatch is its colour */
    int ay = y + f->l.agent_line0 * f->l.line_h;
    expect_rgb(px(f, x + 2, ay + 3), f->cfg.agent_colour[0], "swatch");
    free(ref);
    fixture_free(f);
}

/* the egocentric panel: one block per observed cell, in the observation's own colours */
static void test_ego_panel(void **state) {
    (void)state;
    for (int enc = 0; enc < 2; enc++) {
        Fixture *f = fixture("cleanup", ROOM, 2, enc ? "obs.encoding=ids" : "obs.encoding=rgb");
        place(f, 0, 2, 2, ENV_EAST);
        uint8_t *obs = malloc((size_t)2 * f->cfg.spec.obs_size);
        env_observe(&f->w, obs);
        f->o.ego_agent = 1;
        render_scene_from_world(&f->s, &f->w);
        f->s.ego_obs = obs + f->cfg.spec.obs_size;
        draw(f, 0);
        int oh = f->cfg.spec.obs_h, ow = f->cfg.spec.obs_w, oc = f->cfg.spec.obs_c;
        assert_int_equal(f->l.w, (f->cfg.map.w + 1 + ow) * CS);
        for (int r = 0; r < oh; r++)
            for (int c = 0; c < ow; c++) {
                const uint8_t *o = f->s.ego_obs + ((size_t)r * ow + c) * oc;
                const uint8_t *want = oc == 3 ? o : f->cfg.colour[*o];
                for (int k = 0; k < 4; k++)
                    expect_rgb(px(f, f->l.ego_x + c * CS + (k & 1) * (CS - 1),
                                  f->l.ego_y + r * CS + (k >> 1) * (CS - 1)),
                               want, "observed cell");
            }
        /* the agent's view window is outlined on the map, and the agent framed */
        const EnvAgent *a = &f->w.agent[1];
        int ar = a->pos / f->cfg.wp - f->cfg.pad, ac = a->pos % f->cfg.wp - f->cfg.pad;
        expect_rgb(cell_px(f, ar, ac, 0, 4), C(HIGHLIGHT), "framed agent");
        free(obs);
        fixture_free(f);
    }
}

/* the tragedy's picture: the gauge's water, an open valve's pipe, the ego panel's two grey
 * blocks, and the pool's level in the HUD */
static void test_tragedy(void **state) {
    (void)state;
    Fixture *f = fixture("tragedy", ROOM, 4, NULL); /* the game draws its own map */
    int32_t act[ENV_MAX_AGENTS] = {ENV_TRAGEDY_TAKE, ENV_TRAGEDY_WAIT, ENV_TRAGEDY_WAIT,
                                   ENV_TRAGEDY_WAIT};
    env_step(&f->w, act, NULL); /* 0.5 - 0.025 + 0.055 = 0.53 */
    uint8_t obs[4 * 6];
    env_observe(&f->w, obs);
    f->o.ego_agent = 0;
    f->o.hud = 1;
    render_scene_from_world(&f->s, &f->w);
    f->s.ego_obs = obs;
    draw(f, 0);
    /* ceil(0.53 * 10) = 6 gauge cells are drawn as water, the rest as the closed pipes */
    for (int y = 0; y < CS; y++)
        for (int x = 0; x < CS; x++) {
            expect_rgb(cell_px(f, 1, 6, x, y), cell_px(f, 1, 1, x, y), "water");
            expect_rgb(cell_px(f, 1, 7, x, y), cell_px(f, 2, 2, x, y), "dry gauge");
        }
    assert_true(memcmp(cell_px(f, 1, 6, 1, 1), cell_px(f, 1, 7, 1, 1), 3) != 0);
    assert_true(memcmp(cell_px(f, 2, 1, 1, 1), cell_px(f, 2, 2, 1, 1), 3) != 0); /* open pipe */
    static const uint8_t level[3] = {135, 135, 135}, taken[3] = {2, 2, 2};       /* 255 * 0.53 */
    expect_rgb(px(f, f->l.ego_x + 1, f->l.ego_y + 1), level, "ego level");
    expect_rgb(px(f, f->l.ego_x + CS + 1, f->l.ego_y + 1), taken, "ego take");
    char line[64];
    snprintf(line, sizeof line, "t %3d/%d  pool 0.530", 1, 100);
    int w = f->l.w, h = f->l.h, x = f->l.pad, y = f->l.hud_y + f->l.pad;
    uint8_t *ref = malloc((size_t)w * (size_t)h * 3);
    for (size_t i = 0; i < (size_t)w * (size_t)h; i++) memcpy(ref + 3 * i, C(HUD), 3);
    render_text(ref, w, h, x, y, line, C(TEXT), 1);
    for (int yy = y; yy < y + 7; yy++)
        assert_memory_equal(ref + ((size_t)yy * w + x) * 3, px(f, x, yy), strlen(line) * 6 * 3);
    free(ref);
    fixture_free(f);
}

/* drawing every step, with observations for the panel, changes nothing in the world */
static void test_render_never_changes_state(void **state) {
    (void)state;
    uint64_t hashes[2][60];
    for (int pass = 0; pass < 2; pass++) {
        EnvParams p;
        EnvConfig cfg;
        EnvWorld w;
        EnvError err;
        th_params(&p, "cleanup", (const char *)NULL);
        assert_int_equal(env_config_init(&cfg, &p, &err), 0);
        assert_int_equal(env_world_init(&w, &cfg, 7, 0, &err), 0);
        env_reset(&w, 0);
        EnvRng rng;
        env_rng_seed(&rng, 99);
        RenderOptions o;
        render_options_default(&o);
        o.ego_agent = 2;
        RenderScene s;
        RenderLayout l;
        render_scene_from_world(&s, &w);
        render_layout(&s, &o, &l);
        uint8_t *rgb = malloc((size_t)l.w * (size_t)l.h * 3),
                *again = malloc((size_t)l.w * l.h * 3);
        uint8_t *obs = malloc((size_t)p.n_agents * cfg.spec.obs_size);
        for (int t = 0; t < 60; t++) {
            int32_t act[ENV_MAX_AGENTS];
            for (int i = 0; i < p.n_agents; i++) act[i] = (int32_t)env_rng_below(&rng, 9);
            env_step(&w, act, NULL);
            if (pass == 1) {
                env_observe(&w, obs);
                render_scene_from_world(&s, &w);
                s.ego_obs = obs + 2 * cfg.spec.obs_size;
                render_frame(&s, &o, &l, rgb);
                render_frame(&s, &o, &l, again);
                assert_memory_equal(rgb, again, (size_t)l.w * l.h * 3);
            }
            hashes[pass][t] = env_state_hash(&w);
        }
        free(rgb);
        free(again);
        free(obs);
        env_world_close(&w);
        env_config_close(&cfg);
    }
    assert_memory_equal(hashes[0], hashes[1], sizeof hashes[0]);
}

/* ---- recorders ---- */

static char tmpdir[64];

static int setup_dir(void **state) {
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/commons_render_XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown_dir(void **state) {
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd);
}

/* frames with few colours that change in small places, or (many = 1) 400 colours */
static void make_frames(uint8_t *f, int n, int w, int h, int many) {
    for (int k = 0; k < n; k++) {
        uint8_t *p = f + (size_t)k * w * h * 3;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                uint8_t *q = p + ((size_t)y * w + x) * 3;
                if (many) {
                    int c = (y * w + x + 37 * k) % 400;
                    q[0] = (uint8_t)(c * 5), q[1] = (uint8_t)(c / 2), q[2] = (uint8_t)(255 - c / 3);
                } else {
                    int on = (x / 4 + y / 4 + (x > k * 3 && x < k * 3 + 5 && y > 6)) % 3;
                    q[0] = (uint8_t)(on * 100), q[1] = (uint8_t)(200 - on * 50), q[2] = 30;
                }
            }
        if (!many && k == 3) memcpy(p, p - (size_t)w * h * 3, (size_t)w * h * 3); /* a repeat */
    }
}

/* decodes a GIF into full frames (do-not-dispose, transparency) and their delays */
static int decode_gif(const char *path, uint8_t *frames, int max, int w, int h, int *delays) {
    int err = 0;
    GifFileType *g = DGifOpenFileName(path, &err);
    assert_non_null(g);
    assert_int_equal(DGifSlurp(g), GIF_OK);
    assert_int_equal(g->SWidth, w);
    assert_int_equal(g->SHeight, h);
    assert_non_null(g->SColorMap);
    uint8_t *canvas = calloc((size_t)w * h, 3);
    assert_true(g->ImageCount <= max);
    for (int i = 0; i < g->ImageCount; i++) {
        SavedImage *im = &g->SavedImages[i];
        GraphicsControlBlock gcb;
        assert_int_equal(DGifSavedExtensionToGCB(g, i, &gcb), GIF_OK);
        assert_int_equal(gcb.DisposalMode, DISPOSE_DO_NOT);
        delays[i] = gcb.DelayTime;
        ColorMapObject *map = im->ImageDesc.ColorMap ? im->ImageDesc.ColorMap : g->SColorMap;
        for (int y = 0; y < im->ImageDesc.Height; y++)
            for (int x = 0; x < im->ImageDesc.Width; x++) {
                int idx = im->RasterBits[y * im->ImageDesc.Width + x];
                if (idx == gcb.TransparentColor) continue;
                uint8_t *q =
                    canvas + ((size_t)(y + im->ImageDesc.Top) * w + x + im->ImageDesc.Left) * 3;
                q[0] = map->Colors[idx].Red, q[1] = map->Colors[idx].Green,
                q[2] = map->Colors[idx].Blue;
            }
        memcpy(frames + (size_t)i * w * h * 3, canvas, (size_t)w * h * 3);
    }
    int n = g->ImageCount;
    free(canvas);
    DGifCloseFile(g, &err);
    return n;
}

static void record(const char *target, const uint8_t *frames, int n, int w, int h, int fps) {
    RenderRecorder r;
    EnvError err;
    if (render_recorder_open(&r, target, w, h, fps, &err)) fail_msg("open: %s", err.msg);
    for (int k = 0; k < n; k++)
        if (render_recorder_frame(&r, frames + (size_t)k * w * h * 3, &err))
            fail_msg("frame: %s", err.msg);
    if (render_recorder_close(&r, &err)) fail_msg("close: %s", err.msg);
}

/* no temporary file is left in the folder */
static void expect_no_temp(const char *dir) {
    DIR *d = opendir(dir);
    assert_non_null(d);
    for (struct dirent *e; (e = readdir(d));)
        if (strstr(e->d_name, ".tmp-")) fail_msg("temporary file left: %s/%s", dir, e->d_name);
    closedir(d);
}

static void test_gif_roundtrip(void **state) {
    (void)state;
    enum { W = 37, H = 21, N = 8 };
    uint8_t *frames = malloc((size_t)N * W * H * 3), *back = malloc((size_t)N * W * H * 3);
    make_frames(frames, N, W, H, 0);
    char path[128], path2[128];
    snprintf(path, sizeof path, "%s/a.gif", tmpdir);
    snprintf(path2, sizeof path2, "%s/b.gif", tmpdir);
    record(path, frames, N, W, H, 15);
    record(path2, frames, N, W, H, 15);
    expect_no_temp(tmpdir);
    int delays[N];
    int n = decode_gif(path, back, N, W, H, delays);
    /* frame 3 repeats frame 2: it lengthens frame 2 instead of being stored */
    assert_int_equal(n, N - 1);
    for (int k = 0, j = 0; k < N; k++) {
        if (k == 3) continue;
        if (memcmp(frames + (size_t)k * W * H * 3, back + (size_t)j * W * H * 3, (size_t)W * H * 3))
            fail_msg("GIF frame %d differs", k);
        j++;
    }
    /* delays in centiseconds whose running sum follows 15 fps (7, 6, 7, 7, ...); the repeat adds
     * its delay to the frame before; the last frame is held one more second */
    int want[N] = {0}, total = 0;
    for (int k = 0, j = -1; k < N; k++) {
        int d = (100 * (k + 1) + 7) / 15 - (100 * k + 7) / 15;
        if (k != 3) j++;
        want[j] += d;
    }
    want[n - 1] += 100;
    for (int j = 0; j < n; j++) {
        assert_int_equal(delays[j], want[j]);
        total += delays[j];
    }
    assert_int_equal(total, (100 * N + 7) / 15 + 100);
    /* the same frames give the same bytes */
    char cmd[300], out[64];
    snprintf(cmd, sizeof cmd, "cmp '%s' '%s'", path, path2);
    assert_int_equal(th_run(cmd, out, sizeof out), 0);
    free(frames);
    free(back);
}

/* more than 255 colours: later colours map to the nearest palette entry, still a valid GIF */
static void test_gif_many_colours(void **state) {
    (void)state;
    enum { W = 20, H = 20, N = 3 };
    uint8_t *frames = malloc((size_t)N * W * H * 3), *back = malloc((size_t)N * W * H * 3);
    make_frames(frames, N, W, H, 1);
    char path[128];
    snprintf(path, sizeof path, "%s/many.gif", tmpdir);
    record(path, frames, N, W, H, 10);
    int delays[N];
    assert_int_equal(decode_gif(path, back, N, W, H, delays), N);
    /* the first 255 colours of the first frame are exact */
    int exact = 0;
    for (int i = 0; i < W * H && i < 255; i++)
        exact += memcmp(frames + 3 * i, back + 3 * i, 3) == 0;
    assert_int_equal(exact, 255);
    free(frames);
    free(back);
}

static void test_png_frames(void **state) {
    (void)state;
    enum { W = 9, H = 5, N = 3 };
    uint8_t frames[N * W * H * 3];
    make_frames(frames, N, W, H, 0);
    char dir[128];
    snprintf(dir, sizeof dir, "%s/frames/", tmpdir);
    record(dir, frames, N, W, H, 10);
    expect_no_temp(dir);
    for (int k = 0; k < N; k++) {
        char path[160];
        snprintf(path, sizeof path, "%sframe_%06d.png", dir, k);
        int w, h, c;
        uint8_t *img = stbi_load(path, &w, &h, &c, 3);
        assert_non_null(img);
        assert_int_equal(w, W);
        assert_int_equal(h, H);
        assert_memory_equal(img, frames + (size_t)k * W * H * 3, (size_t)W * H * 3);
        stbi_image_free(img);
    }
    /* a screenshot file, atomically */
    char shot[160];
    snprintf(shot, sizeof shot, "%s/shot.png", tmpdir);
    EnvError err;
    assert_int_equal(render_write_png(shot, frames, W, H, &err), 0);
    /* made like any new file (0666 less the umask), not private like a mkstemp file */
    struct stat st;
    assert_int_equal(stat(shot, &st), 0);
    mode_t mask = umask(022);
    umask(mask);
    assert_int_equal(st.st_mode & 0777, 0666 & ~mask);
}

/* MP4 through ffmpeg: H.264, yuv420p, odd sizes padded to even */
static void test_mp4(void **state) {
    (void)state;
    char ffmpeg[1024];
    if (render_find_program("ffmpeg", ffmpeg, sizeof ffmpeg) ||
        render_find_program("ffprobe", ffmpeg, sizeof ffmpeg)) {
        printf("skipped: ffmpeg or ffprobe is not on PATH (apt-get install ffmpeg)\n");
        skip();
    }
    enum { W = 63, H = 47, N = 12 };
    uint8_t *frames = malloc((size_t)N * W * H * 3);
    make_frames(frames, N, W, H, 0);
    char path[128], cmd[512], out[512];
    snprintf(path, sizeof path, "%s/v.mp4", tmpdir);
    record(path, frames, N, W, H, 12);
    expect_no_temp(tmpdir);
    snprintf(cmd, sizeof cmd,
             "ffprobe -v error -select_streams v:0 -count_frames -show_entries "
             "stream=codec_name,pix_fmt,width,height,nb_read_frames -of default=nw=1 '%s'",
             path);
    assert_int_equal(th_run(cmd, out, sizeof out), 0);
    assert_non_null(strstr(out, "codec_name=h264"));
    assert_non_null(strstr(out, "pix_fmt=yuv420p"));
    assert_non_null(strstr(out, "width=64"));
    assert_non_null(strstr(out, "height=48"));
    assert_non_null(strstr(out, "nb_read_frames=12"));
    free(frames);
}

/* bad targets are named with the fix; a missing ffmpeg is said before anything is written */
static void test_record_errors(void **state) {
    (void)state;
    EnvError err;
    RenderRecordKind kind;
    assert_int_equal(render_record_kind("out.avi", &kind, &err), ENV_EINPUT);
    assert_non_null(strstr(err.msg, "FILE.gif, FILE.mp4, or DIR/"));
    assert_int_equal(render_record_kind("/nonexistent/x/out.gif", &kind, &err), ENV_EINPUT);
    assert_non_null(strstr(err.msg, "folder '/nonexistent/x' does not exist"));
    assert_int_equal(render_record_kind("", &kind, &err), ENV_EINPUT);
    assert_int_equal(render_record_kind("a/b.GIF", &kind, &err), ENV_EINPUT); /* no folder a */
    assert_int_equal(render_record_kind("b.GIF", &kind, &err), 0);
    assert_int_equal(kind, RENDER_REC_GIF);
    assert_int_equal(render_record_kind("/tmp", &kind, &err), 0);
    assert_int_equal(kind, RENDER_REC_PNG);
    RenderRecorder r;
    char path[128];
    snprintf(path, sizeof path, "%s/x.gif", tmpdir);
    assert_int_equal(render_recorder_open(&r, path, 4, 4, 0, &err), ENV_EINPUT);
    assert_non_null(strstr(err.msg, "frame rate 0"));
    /* an aborted GIF leaves nothing */
    assert_int_equal(render_recorder_open(&r, path, 4, 4, 10, &err), 0);
    uint8_t frame[4 * 4 * 3] = {0};
    assert_int_equal(render_recorder_frame(&r, frame, &err), 0);
    render_recorder_abort(&r);
    assert_int_equal(access(path, F_OK), -1);
    expect_no_temp(tmpdir);
    /* no ffmpeg on PATH */
    char *saved = strdup(getenv("PATH") ? getenv("PATH") : "");
    setenv("PATH", "/nonexistent", 1);
    snprintf(path, sizeof path, "%s/x.mp4", tmpdir);
    int rc = render_recorder_open(&r, path, 4, 4, 10, &err);
    setenv("PATH", saved, 1);
    free(saved);
    assert_int_equal(rc, ENV_EIO);
    assert_non_null(strstr(err.msg, "needs ffmpeg, which is not on PATH"));
    assert_non_null(strstr(err.msg, "FILE.gif"));
    expect_no_temp(tmpdir);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_tiles),
        cmocka_unit_test(test_agents_and_facing),
        cmocka_unit_test(test_beams),
        cmocka_unit_test(test_plastic),
        cmocka_unit_test(test_ocean),
        cmocka_unit_test(test_comm_edges),
        cmocka_unit_test(test_signals),
        cmocka_unit_test(test_font),
        cmocka_unit_test(test_hud),
        cmocka_unit_test(test_ego_panel),
        cmocka_unit_test(test_tragedy),
        cmocka_unit_test(test_render_never_changes_state),
        cmocka_unit_test(test_gif_roundtrip),
        cmocka_unit_test(test_gif_many_colours),
        cmocka_unit_test(test_png_frames),
        cmocka_unit_test(test_mp4),
        cmocka_unit_test(test_record_errors),
    };
    return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
