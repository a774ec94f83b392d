/* plot.c: simple charts drawn into an RGB buffer (see plot.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "plot.h"
#include "raster.h"

static void put(RenderCanvas *c, int x, int y, const uint8_t *colour) {
    if (x < 0 || y < 0 || x >= c->w || y >= c->h) return;
    uint8_t *p = c->rgb + ((size_t)y * (size_t)c->w + (size_t)x) * 3;
    p[0] = colour[0], p[1] = colour[1], p[2] = colour[2];
}

void render_fill(RenderCanvas *c, int x0, int y0, int x1, int y1, const uint8_t *colour) {
    if (x0 > x1) {
        int t = x0;
        x0 = x1;
        x1 = t;
    }
    if (y0 > y1) {
        int t = y0;
        y0 = y1;
        y1 = t;
    }
    if (x0 < 0) x0 = 0;
    if (y0 < 0) y0 = 0;
    if (x1 >= c->w) x1 = c->w - 1;
    if (y1 >= c->h) y1 = c->h - 1;
    for (int y = y0; y <= y1; y++)
        for (int x = x0; x <= x1; x++) put(c, x, y, colour);
}

void render_line(RenderCanvas *c, int x0, int y0, int x1, int y1, int width,
                 const uint8_t *colour) {
    /* far-off ends (data outside the canvas) are pulled in so the walk stays short */
    const int lim = 1 << 15;
    if (abs(x0) > lim || abs(y0) > lim || abs(x1) > lim || abs(y1) > lim) return;
    int dx = abs(x1 - x0), dy = -abs(y1 - y0), sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
    int e = dx + dy, lo = -(width - 1) / 2, hi = width / 2;
    for (;;) {
        render_fill(c, x0 + lo, y0 + lo, x0 + hi, y0 + hi, colour);
        if (x0 == x1 && y0 == y1) break;
        int e2 = 2 * e;
        if (e2 >= dy) e += dy, x0 += sx;
        if (e2 <= dx) e += dx, y0 += sy;
    }
}

void render_disc(RenderCanvas *c, int cx, int cy, int r, const uint8_t *colour) {
    for (int y = -r; y <= r; y++)
        for (int x = -r; x <= r; x++)
            if (x * x + y * y <= r * r + r) put(c, cx + x, cy + y, colour);
}

void render_ring(RenderCanvas *c, int cx, int cy, int r, const uint8_t *colour) {
    int in = (r - 2) * (r - 2);
    for (int y = -r; y <= r; y++)
        for (int x = -r; x <= r; x++) {
            int d = x * x + y * y;
            if (d <= r * r + r && d > in) put(c, cx + x, cy + y, colour);
        }
}

int render_axes_px(const RenderAxes *a, double x) {
    double t = (x - a->xmin) / (a->xmax - a->xmin);
    return a->left + (int)lround(t * (a->right - a->left));
}

int render_axes_py(const RenderAxes *a, double y) {
    double t = (y - a->ymin) / (a->ymax - a->ymin);
    return a->bottom - (int)lround(t * (a->bottom - a->top));
}

double render_nice_range(double *lo, double *hi, int ticks) {
    if (!(*hi > *lo)) *lo -= 1.0, *hi += 1.0;
    double raw = (*hi - *lo) / (ticks > 0 ? ticks : 1);
    double p = pow(10.0, floor(log10(raw))), step = 10.0 * p;
    if (raw <= 1.0 * p)
        step = p;
    else if (raw <= 2.0 * p)
        step = 2.0 * p;
    else if (raw <= 5.0 * p)
        step = 5.0 * p;
    *lo = floor(*lo / step + 1e-9) * step;
    *hi = ceil(*hi / step - 1e-9) * step;
    return step;
}

/* a tick label: integers without a point, others with as few digits as show the step */
static void tick_label(double v, double step, char *buf, size_t n) {
    int digits = step >= 1.0 ? 0 : (int)ceil(-log10(step) - 1e-9);
    if (fabs(v) < 1e-12 * (step > 0 ? step : 1)) v = 0.0;
    snprintf(buf, n, "%.*f", digits > 6 ? 6 : digits, v);
}

void render_axes_draw(RenderCanvas *c, const RenderAxes *a, double xstep, double ystep,
                      const char *xlabel, const char *ylabel, const char *title) {
    static const uint8_t ink[3] = {40, 40, 40}, grid[3] = {225, 225, 225};
    char buf[32];
    /* grid lines and tick labels */
    double x0 = xstep > 0 ? ceil(a->xmin / xstep - 1e-9) * xstep : 0;
    double y0 = ystep > 0 ? ceil(a->ymin / ystep - 1e-9) * ystep : 0;
    for (int i = 0;; i++) {
        double x = x0 + i * xstep;
        if (xstep <= 0 || x > a->xmax + 1e-9 * xstep) break;
        int px = render_axes_px(a, x);
        render_line(c, px, a->top, px, a->bottom, 1, grid);
        render_line(c, px, a->bottom, px, a->bottom + 5, 1, ink);
        tick_label(x, xstep, buf, sizeof buf);
        int tw = render_text(c->rgb, c->w, c->h, -1000, -1000, buf, ink, 2);
        render_text(c->rgb, c->w, c->h, px - tw / 2, a->bottom + 10, buf, ink, 2);
    }
    for (int i = 0;; i++) {
        double y = y0 + i * ystep;
        if (ystep <= 0 || y > a->ymax + 1e-9 * ystep) break;
        int py = render_axes_py(a, y);
        render_line(c, a->left, py, a->right, py, 1, grid);
        render_line(c, a->left - 5, py, a->left, py, 1, ink);
        tick_label(y, ystep, buf, sizeof buf);
        int tw = render_text(c->rgb, c->w, c->h, -1000, -1000, buf, ink, 2);
        render_text(c->rgb, c->w, c->h, a->left - 10 - tw, py - 7, buf, ink, 2);
    }
    /* the frame and the labels */
    render_line(c, a->left, a->top, a->right, a->top, 2, ink);
    render_line(c, a->left, a->bottom, a->right, a->bottom, 2, ink);
    render_line(c, a->left, a->top, a->left, a->bottom, 2, ink);
    render_line(c, a->right, a->top, a->right, a->bottom, 2, ink);
    if (xlabel) {
        int tw = render_text(c->rgb, c->w, c->h, -1000, -1000, xlabel, ink, 2);
        render_text(c->rgb, c->w, c->h, (a->left + a->right - tw) / 2, a->bottom + 34, xlabel, ink,
                    2);
    }
    if (ylabel) render_text(c->rgb, c->w, c->h, a->left, a->top - 22, ylabel, ink, 2);
    if (title) render_text(c->rgb, c->w, c->h, a->left, a->top - 50, title, ink, 2);
}

void render_axes_line(RenderCanvas *c, const RenderAxes *a, double x0, double y0, double x1,
                      double y1, int width, const uint8_t *colour) {
    render_line(c, render_axes_px(a, x0), render_axes_py(a, y0), render_axes_px(a, x1),
                render_axes_py(a, y1), width, colour);
}
