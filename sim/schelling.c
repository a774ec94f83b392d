/* schelling.c: Schelling diagrams, dilemma conditions and replicator dynamics (see schelling.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "episode.h"
#include "io.h"
#include "plot.h"
#include "record.h"
#include "schelling.h"

int sim_schelling_init(SimSchelling *r, int n, int seeds, uint64_t seed, int steps, EnvError *err) {
    memset(r, 0, sizeof *r);
    if (n < 2 || n > ENV_MAX_AGENTS)
        return env_fail(err, ENV_EINPUT,
                        "a Schelling diagram needs 2..%d agents (a focal agent and others); "
                        "got %d",
                        ENV_MAX_AGENTS, n);
    if (seeds < 2 || seeds > 1000000)
        return env_fail(err, ENV_EINPUT,
                        "a Schelling diagram needs 2..1000000 seeds (intervals need two); got %d",
                        seeds);
    r->n = n;
    r->seeds = seeds;
    r->seed = seed;
    r->steps = steps;
    size_t cells = (size_t)(n + 1) * (size_t)seeds;
    r->coop = calloc(cells, sizeof(double));
    r->defect = calloc(cells, sizeof(double));
    r->group = calloc(cells, sizeof(double));
    if (!r->coop || !r->defect || !r->group) {
        sim_schelling_close(r);
        return env_fail(err, ENV_ENOMEM, "out of memory for %d x %d episodes", n + 1, seeds);
    }
    return 0;
}

void sim_schelling_close(SimSchelling *r) {
    free(r->coop);
    free(r->defect);
    free(r->group);
    r->coop = r->defect = r->group = NULL;
}

void sim_schelling_slots(int n, int k, int s, uint8_t *coop) {
    memset(coop, 0, (size_t)n);
    for (int j = 0; j < k; j++) coop[(s + j) % n] = 1;
}

void sim_schelling_entries(int n, int k, int s, int pool_c, int pool_d, int *entry) {
    /* the j-th cooperator is the one in slot (s + j) mod n; the defectors follow, in the same
     * rotation from slot (s + k) mod n */
    for (int j = 0; j < n; j++) {
        int slot = (s + j) % n, c = j < k;
        int pool = c ? pool_c : pool_d;
        int idx = c ? j : j - k, per = c ? k : n - k;
        entry[slot] = pool > 0 ? (int)(((long long)s * per + idx) % pool) : slot;
    }
}

/* ---- playing ---------------------------------------------------------------------------- */

/* episode s of composition k: every agent's return, summed into the three means */
static int play(SimSchelling *r, const SimConfig *cfg, const SimPolicies *coop,
                const SimPolicies *defect, int k, int s, EnvError *err) {
    int n = r->n;
    uint8_t cm[ENV_MAX_AGENTS];
    ScriptedKind kinds[ENV_MAX_AGENTS] = {SCRIPTED_RANDOM};
    int entry[ENV_MAX_AGENTS];
    sim_schelling_slots(n, k, s, cm);
    sim_schelling_entries(n, k, s, coop->pool ? coop->n_entries : 0,
                          defect->pool ? defect->n_entries : 0, entry);
    for (int i = 0; i < n; i++) kinds[i] = (cm[i] ? coop : defect)->kind[entry[i]];
    SimEpisode e;
    int rc = sim_episode_init(&e, cfg, kinds, r->seed + (uint64_t)s, 0, err);
    if (rc) return rc;
    for (int i = 0; i < n && !rc; i++)
        rc = sim_policies_attach_entry(cm[i] ? coop : defect, &e, i, entry[i], err);
    if (!rc) {
        SimResult res;
        sim_episode_run(&e, 0, r->steps, &res);
        double c = 0, d = 0, all = 0;
        for (int i = 0; i < n; i++) {
            if (cm[i])
                c += (double)res.ret[i];
            else
                d += (double)res.ret[i];
            all += (double)res.ret[i];
        }
        size_t cell = (size_t)k * (size_t)r->seeds + (size_t)s;
        r->coop[cell] = k > 0 ? c / k : 0.0;
        r->defect[cell] = k < n ? d / (n - k) : 0.0;
        r->group[cell] = all / n;
    }
    sim_episode_close(&e);
    return rc;
}

int sim_schelling_run(SimSchelling *r, const SimConfig *cfg, const SimPolicies *coop,
                      const SimPolicies *defect, EnvError *err) {
    if (cfg->env.p.n_agents != r->n)
        return env_fail(err, ENV_EINPUT, "the world has %d agents and the sweep %d",
                        cfg->env.p.n_agents, r->n);
    for (int k = 0; k <= r->n; k++)
        for (int s = 0; s < r->seeds; s++) {
            int rc = play(r, cfg, coop, defect, k, s, err);
            if (rc) return rc;
        }
    sim_schelling_analyse(r);
    return 0;
}

/* ---- statistics ------------------------------------------------------------------------- */

double sim_t975(int df) {
    static const double T[31] = {
        0,           12.706204736, 4.302652730, 3.182446305, 2.776445105, 2.570581836, 2.446911851,
        2.364624252, 2.306004135,  2.262157163, 2.228138852, 2.200985160, 2.178812830, 2.160368656,
        2.144786688, 2.131449546,  2.119905299, 2.109815578, 2.100922040, 2.093024054, 2.085963447,
        2.079613845, 2.073873068,  2.068657610, 2.063898562, 2.059538553, 2.055529439, 2.051830516,
        2.048407142, 2.045229642,  2.042272456};
    if (df < 1) return NAN;
    if (df <= 30) return T[df];
    /* Cornish-Fisher expansion of t around the normal quantile */
    double z = 1.959963984540054, v = df, z2 = z * z;
    double g1 = (z2 + 1) * z / 4;
    double g2 = ((5 * z2 + 16) * z2 + 3) * z / 96;
    double g3 = (((3 * z2 + 19) * z2 + 17) * z2 - 15) * z / 384;
    double g4 = ((((79 * z2 + 776) * z2 + 1482) * z2 - 1920) * z2 - 945) * z / 92160;
    return z + g1 / v + g2 / (v * v) + g3 / (v * v * v) + g4 / (v * v * v * v);
}

/* mean, sd and t interval of a[i] - (b ? b[i] : 0) over n samples, summed in index order */
static SimStat stat(const double *a, const double *b, int n) {
    SimStat st = {0, 0, 0, n};
    for (int i = 0; i < n; i++) st.mean += a[i] - (b ? b[i] : 0.0);
    st.mean /= n;
    double v = 0;
    for (int i = 0; i < n; i++) {
        double d = a[i] - (b ? b[i] : 0.0) - st.mean;
        v += d * d;
    }
    st.sd = n > 1 ? sqrt(v / (n - 1)) : 0.0;
    st.half = n > 1 ? sim_t975(n - 1) * st.sd / sqrt((double)n) : NAN;
    return st;
}

void sim_schelling_analyse(SimSchelling *r) {
    int n = r->n, S = r->seeds;
    const double *C = r->coop, *D = r->defect;
#define ROW(x, k) ((x) + (size_t)(k) * (size_t)S)
    for (int l = 0; l < n; l++) {
        r->rc[l] = stat(ROW(C, l + 1), NULL, S);
        r->rd[l] = stat(ROW(D, l), NULL, S);
        r->temptation[l] = stat(ROW(D, l), ROW(C, l + 1), S);
    }
    for (int k = 0; k <= n; k++) r->grp[k] = stat(ROW(r->group, k), NULL, S);
    r->cond[SIM_COND_COOP_OVER_DEFECT] = stat(ROW(C, n), ROW(D, 0), S);
    r->cond[SIM_COND_COOP_OVER_EXPLOITED] = stat(ROW(C, n), ROW(C, 1), S);
    r->cond[SIM_COND_FEAR] = stat(ROW(D, 0), ROW(C, 1), S);
    r->cond[SIM_COND_GREED] = stat(ROW(D, n - 1), ROW(C, n), S);
#undef ROW
    for (int c = 0; c < SIM_COND_COUNT; c++) {
        r->holds[c] = r->cond[c].mean > 0;
        r->significant[c] = r->cond[c].mean - r->cond[c].half > 0;
    }
    r->dilemma = r->holds[SIM_COND_COOP_OVER_DEFECT] && r->holds[SIM_COND_COOP_OVER_EXPLOITED] &&
                 (r->holds[SIM_COND_FEAR] || r->holds[SIM_COND_GREED]);
    double rc[ENV_MAX_AGENTS], rd[ENV_MAX_AGENTS];
    for (int l = 0; l < n; l++) rc[l] = r->rc[l].mean, rd[l] = r->rd[l].mean;
    r->n_fixed =
        sim_schelling_fixed_points(n, rc, rd, r->fixed, SIM_SCHELLING_MAX_FIXED, &r->degenerate);
}

/* ---- replicator dynamics ---------------------------------------------------------------- */

/* sum_l C(n-1, l) x^l (1-x)^(n-1-l) p[l] */
static double mix(int n, const double *p, double x) {
    double sum = 0, binom = 1;
    for (int l = 0; l < n; l++) {
        sum += binom * pow(x, l) * pow(1.0 - x, n - 1 - l) * p[l];
        binom = binom * (n - 1 - l) / (l + 1);
    }
    return sum;
}

double sim_schelling_gain(int n, const double *rc, const double *rd, double x) {
    return mix(n, rc, x) - mix(n, rd, x);
}

/* the stability of an interior root from the sign of g either side */
static SimFixedKind interior_kind(int n, const double *rc, const double *rd, double x) {
    double h = 0.5 / SIM_SCHELLING_GRID;
    double left = sim_schelling_gain(n, rc, rd, x - h),
           right = sim_schelling_gain(n, rc, rd, x + h);
    if (left > 0 && right < 0) return SIM_FIXED_STABLE;
    if (left < 0 && right > 0) return SIM_FIXED_UNSTABLE;
    return SIM_FIXED_SEMI;
}

/* the stability of an end from g there, or just inside when g vanishes at the end itself */
static SimFixedKind end_kind(int n, const double *rc, const double *rd, int at_one) {
    double h = 0.5 / SIM_SCHELLING_GRID;
    double g = sim_schelling_gain(n, rc, rd, at_one ? 1.0 : 0.0);
    if (g == 0) g = sim_schelling_gain(n, rc, rd, at_one ? 1.0 - h : h);
    if (g == 0) return SIM_FIXED_SEMI;
    return (at_one ? g > 0 : g < 0) ? SIM_FIXED_STABLE : SIM_FIXED_UNSTABLE;
}

int sim_schelling_fixed_points(int n, const double *rc, const double *rd, SimFixedPoint *out,
                               int cap, int *degenerate) {
    const int G = SIM_SCHELLING_GRID;
    int m = 0, zeros = 0;
    double g0 = sim_schelling_gain(n, rc, rd, 0.0), g1 = sim_schelling_gain(n, rc, rd, 1.0);
    for (int i = 0; i <= G; i++) zeros += sim_schelling_gain(n, rc, rd, (double)i / G) == 0.0;
    int flat = zeros > G / 2;
    if (degenerate) *degenerate = flat;
    if (m < cap) out[m++] = (SimFixedPoint){0.0, end_kind(n, rc, rd, 0)};
    double prev = g0;
    for (int i = 1; i < G && !flat; i++) {
        double x = (double)i / G, cur = sim_schelling_gain(n, rc, rd, x), root = -1;
        if (cur == 0.0 && prev != 0.0) {
            root = x;
        } else if ((prev < 0 && cur > 0) || (prev > 0 && cur < 0)) {
            /* bisection on [x - 1/G, x], keeping the sign change inside */
            double lo = (double)(i - 1) / G, hi = x, glo = prev;
            for (int it = 0; it < 60; it++) {
                double mid = 0.5 * (lo + hi), gm = sim_schelling_gain(n, rc, rd, mid);
                if (gm == 0.0) {
                    lo = hi = mid;
                    break;
                }
                if ((gm < 0) == (glo < 0))
                    lo = mid, glo = gm;
                else
                    hi = mid;
            }
            root = 0.5 * (lo + hi);
        }
        if (root >= 0 && m < cap) out[m++] = (SimFixedPoint){root, interior_kind(n, rc, rd, root)};
        prev = cur;
    }
    /* the last interval, up to x = 1 (a sign change in it is a root inside) */
    if (!flat && ((prev < 0 && g1 > 0) || (prev > 0 && g1 < 0)) && m < cap) {
        double lo = (double)(G - 1) / G, hi = 1.0, glo = prev;
        for (int it = 0; it < 60; it++) {
            double mid = 0.5 * (lo + hi), gm = sim_schelling_gain(n, rc, rd, mid);
            if ((gm < 0) == (glo < 0))
                lo = mid, glo = gm;
            else
                hi = mid;
        }
        double root = 0.5 * (lo + hi);
        out[m++] = (SimFixedPoint){root, interior_kind(n, rc, rd, root)};
    }
    if (m < cap) out[m++] = (SimFixedPoint){1.0, end_kind(n, rc, rd, 1)};
    return m;
}

const char *sim_condition_name(SimCondition c) {
    static const char *NAMES[SIM_COND_COUNT] = {"R_c(N-1) > R_d(0)", "R_c(N-1) > R_c(0)",
                                                "fear: R_d(0) > R_c(0)",
                                                "greed: R_d(N-1) > R_c(N-1)"};
    return c >= 0 && c < SIM_COND_COUNT ? NAMES[c] : "?";
}

const char *sim_fixed_kind_name(SimFixedKind k) {
    return k == SIM_FIXED_STABLE ? "stable" : k == SIM_FIXED_UNSTABLE ? "unstable" : "semi-stable";
}

/* ---- files ------------------------------------------------------------------------------ */

static int csv_open(EnvAtomicFile *f, const char *dir, const char *name, EnvError *err) {
    char path[ENV_PATH_MAX];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
        return env_fail(err, ENV_EINPUT, "%s/%s: the path is too long", dir, name);
    memset(f, 0, sizeof *f);
    return env_atomic_open(f, path, err);
}

static void stat_cols(FILE *f, const SimStat *s) {
    fprintf(f, ",%.6f,%.6f,%.6f", s->mean, s->mean - s->half, s->mean + s->half);
}

int sim_schelling_write_csv(const SimSchelling *r, const char *dir, EnvError *err) {
    EnvAtomicFile f;
    int n = r->n, rc;
    /* the diagram */
    if ((rc = csv_open(&f, dir, "schelling.csv", err))) return rc;
    fprintf(f.fp, "l,rc,rc_lo,rc_hi,rd,rd_lo,rd_hi,td,td_lo,td_hi\n");
    for (int l = 0; l < n; l++) {
        fprintf(f.fp, "%d", l);
        stat_cols(f.fp, &r->rc[l]);
        stat_cols(f.fp, &r->rd[l]);
        stat_cols(f.fp, &r->temptation[l]);
        fprintf(f.fp, "\n");
    }
    if ((rc = env_atomic_commit(&f, err))) return rc;
    /* the group's return by composition */
    if ((rc = csv_open(&f, dir, "groups.csv", err))) return rc;
    fprintf(f.fp, "cooperators,group,group_lo,group_hi\n");
    for (int k = 0; k <= n; k++) {
        fprintf(f.fp, "%d", k);
        stat_cols(f.fp, &r->grp[k]);
        fprintf(f.fp, "\n");
    }
    if ((rc = env_atomic_commit(&f, err))) return rc;
    /* the conditions */
    if ((rc = csv_open(&f, dir, "conditions.csv", err))) return rc;
    fprintf(f.fp, "condition,margin,lo,hi,holds,significant\n");
    for (int c = 0; c < SIM_COND_COUNT; c++) {
        fprintf(f.fp, "\"%s\"", sim_condition_name((SimCondition)c));
        stat_cols(f.fp, &r->cond[c]);
        fprintf(f.fp, ",%d,%d\n", r->holds[c], r->significant[c]);
    }
    fprintf(f.fp, "\"dilemma\",,,,%d,\n", r->dilemma);
    if ((rc = env_atomic_commit(&f, err))) return rc;
    /* the replicator dynamics */
    double pc[ENV_MAX_AGENTS], pd[ENV_MAX_AGENTS];
    for (int l = 0; l < n; l++) pc[l] = r->rc[l].mean, pd[l] = r->rd[l].mean;
    if ((rc = csv_open(&f, dir, "replicator.csv", err))) return rc;
    fprintf(f.fp, "x,f_c,f_d,xdot\n");
    for (int i = 0; i <= 100; i++) {
        double x = i / 100.0, fc = mix(n, pc, x), fd = mix(n, pd, x);
        fprintf(f.fp, "%.2f,%.6f,%.6f,%.6f\n", x, fc, fd, x * (1 - x) * (fc - fd));
    }
    if ((rc = env_atomic_commit(&f, err))) return rc;
    if ((rc = csv_open(&f, dir, "fixed_points.csv", err))) return rc;
    fprintf(f.fp, "x,stability\n");
    for (int i = 0; i < r->n_fixed; i++)
        fprintf(f.fp, "%.6f,%s\n", r->fixed[i].x, sim_fixed_kind_name(r->fixed[i].kind));
    if ((rc = env_atomic_commit(&f, err))) return rc;
    /* every episode */
    if ((rc = csv_open(&f, dir, "episodes.csv", err))) return rc;
    fprintf(f.fp, "cooperators,seed,slots,coop,defect,group\n");
    for (int k = 0; k <= n; k++)
        for (int s = 0; s < r->seeds; s++) {
            uint8_t cm[ENV_MAX_AGENTS];
            char slots[ENV_MAX_AGENTS + 1];
            sim_schelling_slots(n, k, s, cm);
            for (int i = 0; i < n; i++) slots[i] = cm[i] ? 'C' : 'D';
            slots[n] = 0;
            size_t cell = (size_t)k * (size_t)r->seeds + (size_t)s;
            fprintf(f.fp, "%d,%llu,%s,%.6f,%.6f,%.6f\n", k,
                    (unsigned long long)(r->seed + (uint64_t)s), slots, r->coop[cell],
                    r->defect[cell], r->group[cell]);
        }
    return env_atomic_commit(&f, err);
}

/* ---- the figure ------------------------------------------------------------------------- */

static const uint8_t WHITE[3] = {255, 255, 255}, INK[3] = {40, 40, 40};
static const uint8_t BLUE[3] = {31, 119, 180}, RED[3] = {214, 39, 40}, GREEN[3] = {44, 140, 44};
static const uint8_t GREY[3] = {150, 150, 150};

/* one side's means joined by a line, with interval bars, shifted by dx in l */
static void draw_side(RenderCanvas *c, const RenderAxes *a, const SimStat *st, int n, double dx,
                      const uint8_t *colour) {
    for (int l = 0; l < n; l++) {
        double x = l + dx;
        if (l + 1 < n) render_axes_line(c, a, x, st[l].mean, x + 1, st[l + 1].mean, 3, colour);
        if (isfinite(st[l].half)) {
            double lo = st[l].mean - st[l].half, hi = st[l].mean + st[l].half;
            int px = render_axes_px(a, x);
            render_axes_line(c, a, x, lo, x, hi, 2, colour);
            render_line(c, px - 6, render_axes_py(a, lo), px + 6, render_axes_py(a, lo), 2, colour);
            render_line(c, px - 6, render_axes_py(a, hi), px + 6, render_axes_py(a, hi), 2, colour);
        }
    }
    for (int l = 0; l < n; l++)
        render_disc(c, render_axes_px(a, l + dx), render_axes_py(a, st[l].mean), 6, colour);
}

int sim_schelling_plot(const SimSchelling *r, const char *title, const char *path, EnvError *err) {
    const int W = 1400, H = 600;
    uint8_t *rgb = malloc((size_t)W * H * 3);
    if (!rgb) return env_fail(err, ENV_ENOMEM, "out of memory for the figure %s", path);
    RenderCanvas c = {rgb, W, H};
    render_fill(&c, 0, 0, W - 1, H - 1, WHITE);
    int n = r->n;
    /* left: the diagram */
    double lo = INFINITY, hi = -INFINITY;
    for (int l = 0; l < n; l++) {
        const SimStat *s2[2] = {&r->rc[l], &r->rd[l]};
        for (int j = 0; j < 2; j++) {
            double h = isfinite(s2[j]->half) ? s2[j]->half : 0;
            if (s2[j]->mean - h < lo) lo = s2[j]->mean - h;
            if (s2[j]->mean + h > hi) hi = s2[j]->mean + h;
        }
    }
    if (!isfinite(lo) || !isfinite(hi)) lo = 0, hi = 1;
    double ystep = render_nice_range(&lo, &hi, 6);
    RenderAxes left = {130, 110, 660, 500, -0.3, n - 1 + 0.3, lo, hi};
    render_axes_draw(&c, &left, 1.0, ystep, "l, other cooperators", "mean return", title);
    draw_side(&c, &left, r->rc, n, -0.05, BLUE);
    draw_side(&c, &left, r->rd, n, 0.05, RED);
    render_text(rgb, W, H, 420, left.top - 22, "cooperator R_c", BLUE, 2);
    render_text(rgb, W, H, 420 + 16 * 12, left.top - 22, "defector R_d", RED, 2);
    render_text(rgb, W, H, 130, H - 40, "bars: 95% t intervals over seeds", GREY, 2);
    /* right: the replicator dynamics */
    double pc[ENV_MAX_AGENTS], pd[ENV_MAX_AGENTS], xd[201];
    for (int l = 0; l < n; l++) pc[l] = r->rc[l].mean, pd[l] = r->rd[l].mean;
    lo = 0, hi = 0;
    for (int i = 0; i <= 200; i++) {
        double x = i / 200.0;
        xd[i] = x * (1 - x) * sim_schelling_gain(n, pc, pd, x);
        if (xd[i] < lo) lo = xd[i];
        if (xd[i] > hi) hi = xd[i];
    }
    if (hi - lo < 1e-9) lo -= 1, hi += 1;
    ystep = render_nice_range(&lo, &hi, 6);
    RenderAxes right = {860, 110, 1360, 500, 0.0, 1.0, lo, hi};
    render_axes_draw(&c, &right, 0.2, ystep, "x, share of cooperators", "x' = x(1-x)(f_C - f_D)",
                     "replicator dynamics");
    render_axes_line(&c, &right, 0, 0, 1, 0, 2, INK);
    for (int i = 0; i < 200; i++)
        render_axes_line(&c, &right, i / 200.0, xd[i], (i + 1) / 200.0, xd[i + 1], 3, GREEN);
    for (int i = 0; i < r->n_fixed; i++) {
        int px = render_axes_px(&right, r->fixed[i].x), py = render_axes_py(&right, 0);
        if (r->fixed[i].kind == SIM_FIXED_STABLE) {
            render_disc(&c, px, py, 9, INK);
        } else {
            render_disc(&c, px, py, 9, WHITE);
            render_ring(&c, px, py, 9, r->fixed[i].kind == SIM_FIXED_SEMI ? GREY : INK);
        }
    }
    render_text(rgb, W, H, 860, H - 40, "filled: stable, open: unstable", GREY, 2);
    int rc = render_write_png(path, rgb, W, H, err);
    free(rgb);
    return rc;
}
