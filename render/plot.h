/* plot.h: simple charts drawn into an RGB buffer: filled boxes, thick lines, discs and rings,
 * and axes (a frame, "nice" ticks with labels, a title) mapping data coordinates to pixels, for
 * the figures the commands write as PNG files (render_write_png, record.h).
 *
 * Contract: the caller owns the buffer (h, w, 3); every primitive clips to it, so any
 * coordinates are safe. Nothing allocates, nothing is global, the same calls give the same
 * bytes. Text uses the raster's 5x7 font (render_text) and is written left to right only.
 */
#ifndef COMMONS_PLOT_H
#define COMMONS_PLOT_H

#include <stdint.h>

/* A buffer to draw on. */
typedef struct RenderCanvas {
    uint8_t *rgb; /* (h, w, 3) */
    int w, h;
} RenderCanvas;

/* A plotting box: the pixel rectangle [left, right] x [top, bottom] shows the data rectangle
 * [xmin, xmax] x [ymin, ymax], y growing upwards. */
typedef struct RenderAxes {
    int left, top, right, bottom;
    double xmin, xmax, ymin, ymax;
} RenderAxes;

/* Fills the pixel rectangle [x0, x1] x [y0, y1] (inclusive, any order) with colour (3,). */
void render_fill(RenderCanvas *c, int x0, int y0, int x1, int y1, const uint8_t *colour);
/* A line from (x0, y0) to (x1, y1), `width` pixels thick (square pen), Bresenham. */
void render_line(RenderCanvas *c, int x0, int y0, int x1, int y1, int width, const uint8_t *colour);
/* A filled disc of radius r, and a ring (its outline, 2 pixels thick) around (cx, cy). */
void render_disc(RenderCanvas *c, int cx, int cy, int r, const uint8_t *colour);
void render_ring(RenderCanvas *c, int cx, int cy, int r, const uint8_t *colour);

/* Pixel column of data x and pixel row of data y (rounded, not clipped). */
int render_axes_px(const RenderAxes *a, double x);
int render_axes_py(const RenderAxes *a, double y);

/* Widens [*lo, *hi] to "nice" tick multiples (1, 2 or 5 times a power of ten), about `ticks`
 * intervals, and returns the tick step. A range of zero width is widened by one unit each side. */
double render_nice_range(double *lo, double *hi, int ticks);

/* Draws the frame, light grid lines and labelled ticks at the multiples of xstep and ystep (data
 * units) inside the box, the x label under the axis, the y label above its top-left corner and the
 * title above the box. Labels may be NULL. */
void render_axes_draw(RenderCanvas *c, const RenderAxes *a, double xstep, double ystep,
                      const char *xlabel, const char *ylabel, const char *title);

/* A line between two data points, clipped to the canvas (not to the box). */
void render_axes_line(RenderCanvas *c, const RenderAxes *a, double x0, double y0, double x1,
                      double y1, int width, const uint8_t *colour);

#endif
