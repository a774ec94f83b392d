/* net.c: the actor-critic network (encoder, hidden layers, one output layer of every head's
 * logits and the value), its workspace, forward and backward passes over the layers of nn.c, and
 * the model: parameters, gradients and Adam moments of every group in one allocation (see nn.h).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "gnn.h"
#include "nn.h"

/* ---- the network ---- */

static void add_layer(NnNet *net, NnKind kind, int in, int out, float gain) {
    NnLayer *l = &net->layer[net->n_layers++];
    memset(l, 0, sizeof *l);
    l->kind = kind;
    l->in = in;
    l->out = out;
    l->gain = gain;
}

/* the shape of a network's GNN layer ly */
static GnnShape gnn_shape_of(const NnArch *a, int d) {
    GnnShape g = {.d = d,
                  .bits = a->gnn_bits,
                  .rounds = a->gnn_rounds,
                  .agg = (CommAgg)a->gnn_agg,
                  .mode = (GnnMode)a->gnn_mode,
                  .est = (GnnEstimator)a->gnn_estimator,
                  .act = a->activation};
    return g;
}

/* the architecture's settings, each against its range */
static int check_arch(const NnArch *a, EnvError *err) {
    if (a->obs_h < 1 || a->obs_w < 1 || a->obs_c < 1)
        return env_fail(err, ENV_EINPUT, "observation shape %dx%dx%d is empty", a->obs_h, a->obs_w,
                        a->obs_c);
    if (a->ids && (a->obs_c != 1 || a->n_ids < 2 || a->n_ids > 256))
        return env_fail(err, ENV_EINPUT, "the ids encoding needs one channel and 2..256 ids");
    if (a->n_heads < 1 || a->n_heads > NN_MAX_HEADS)
        return env_fail(err, ENV_EINPUT, "net.heads: %d heads; allowed 1..%d", a->n_heads,
                        NN_MAX_HEADS);
    for (int h = 0; h < a->n_heads; h++)
        if (a->heads[h] < 2)
            return env_fail(err, ENV_EINPUT, "net.heads: a head of %d actions; allowed 2 or more",
                            a->heads[h]);
    if (a->n_hidden < 0 || a->n_hidden > NN_MAX_HIDDEN)
        return env_fail(err, ENV_EINPUT, "net.hidden: %d layers; allowed 0..%d", a->n_hidden,
                        NN_MAX_HIDDEN);
    if (a->conv == 0 && a->n_hidden < 1)
        return env_fail(err, ENV_EINPUT,
                        "net.conv = 0 needs at least one net.hidden layer (the first layer then "
                        "covers the whole view)");
    if (a->activation != NN_RELU && a->activation != NN_TANH)
        return env_fail(err, ENV_EINPUT, "net.activation: choose relu or tanh");
    if (a->n_float < 0)
        return env_fail(err, ENV_EINPUT, "a float input of %d values; allowed 0 or more",
                        a->n_float);
    if (a->gnn_rounds > 0) {
        GnnShape g = gnn_shape_of(a, 1);
        int rc = gnn_shape_check(&g, err);
        if (rc) return rc;
        if (a->gnn_agents < 1)
            return env_fail(err, ENV_EINPUT, "the GNN layer needs groups of 1 or more agents");
    }
    for (int l = 0; l < a->n_hidden; l++)
        if (a->hidden[l] < 1)
            return env_fail(err, ENV_EINPUT, "net.hidden: layer sizes must be 1 or more");
    return 0;
}

/* parameter offsets: weights then biases, layer by layer */
static void place_params(NnNet *net) {
    size_t off = 0;
    for (int l = 0; l < net->n_layers; l++) {
        NnLayer *ly = &net->layer[l];
        size_t nw = 0, nb = 0;
        if (ly->kind == NN_LINEAR) {
            nw = (size_t)ly->in * (size_t)ly->out;
            nb = (size_t)ly->out;
        } else if (ly->kind == NN_CONV || ly->kind == NN_EMBED) {
            nw = (size_t)ly->conv.kh * ly->conv.kw * ly->conv.c * ly->conv.oc;
            nb = (size_t)ly->conv.oc;
        } else if (ly->kind == NN_GNN) {
            GnnShape g = gnn_shape_of(&net->arch, ly->in);
            nw = gnn_n_params(&g); /* the layer lays out its own weights and biases */
        }
        ly->w_off = off;
        ly->b_off = off + nw;
        ly->n_params = nw + nb;
        off += nw + nb;
    }
    net->n_params = off;
}

int nn_net_init(NnNet *net, const NnArch *a, EnvError *err) {
    memset(net, 0, sizeof *net);
    net->arch = *a;
    int rc = check_arch(a, err);
    if (rc) return rc;
    float act_gain = a->activation == NN_RELU ? sqrtf(2.0f) : 1.0f;
    net->in_size = a->obs_h * a->obs_w * a->obs_c;
    int next = 0; /* first hidden size not yet used */

    /* encoder: a convolution (or one-hot embedding), or one layer over the whole view */
    NnConvShape cs = {.h = a->obs_h, .w = a->obs_w, .c = a->ids ? a->n_ids : a->obs_c};
    if (a->conv > 0) {
        cs.kh = cs.kw = a->kernel;
        cs.stride = a->stride;
        cs.oc = a->conv;
        if (nn_conv_shape(&cs))
            return env_fail(err, ENV_EINPUT,
                            "net.kernel = %d with net.stride = %d does not fit the %dx%d view",
                            a->kernel, a->stride, a->obs_h, a->obs_w);
    } else {
        cs.kh = a->obs_h;
        cs.kw = a->obs_w;
        cs.stride = 1;
        cs.oc = a->hidden[next++];
        nn_conv_shape(&cs);
    }
    int feat = cs.oh * cs.ow * cs.oc;
    if (a->ids) {
        add_layer(net, NN_EMBED, net->in_size, feat, act_gain);
        net->layer[0].conv = cs;
    } else if (a->conv > 0) {
        add_layer(net, NN_CONV, net->in_size, feat, act_gain);
        net->layer[0].conv = cs;
    } else {
        add_layer(net, NN_LINEAR, net->in_size, feat, act_gain);
    }
    add_layer(net, a->activation, feat, feat, 0);
    /* the float input (messages, features) joins the encoder's output */
    if (a->n_float > 0) {
        add_layer(net, NN_CONCAT, feat, feat + a->n_float, 0);
        feat += a->n_float;
    }
    /* hidden layers */
    for (; next < a->n_hidden; next++) {
        add_layer(net, NN_LINEAR, feat, a->hidden[next], act_gain);
        feat = a->hidden[next];
        add_layer(net, a->activation, feat, feat, 0);
    }
    /* the communication layer over each group's graph */
    if (a->gnn_rounds > 0) add_layer(net, NN_GNN, feat, feat, act_gain);
    /* output: the heads' logits then the value */
    net->n_out = 0;
    for (int h = 0; h < a->n_heads; h++) {
        net->head_off[h] = net->n_out;
        net->n_out += a->heads[h];
    }
    net->n_out += 1;
    add_layer(net, NN_LINEAR, feat, net->n_out, 1.0f);

    place_params(net);
    return 0;
}

/* a uniform float in [-1, 1) from 24 bits of a draw */
static float uniform_pm1(EnvRng *r) {
    return (float)(env_rng_u32(r) >> 8) * (2.0f / 16777216.0f) - 1.0f;
}

void nn_net_init_params(const NnNet *net, float *params, uint64_t key) {
    memset(params, 0, sizeof(float) * net->n_params);
    for (int l = 0; l < net->n_layers; l++) {
        const NnLayer *ly = &net->layer[l];
        if (ly->n_params == 0) continue;
        if (ly->kind == NN_GNN) {
            GnnShape g = gnn_shape_of(&net->arch, ly->in);
            gnn_init_params(&g, params + ly->w_off, env_hash4(key, (uint64_t)l, 0, NN_STREAM_INIT));
            continue;
        }
        EnvRng rng;
        env_rng_seed(&rng, env_hash4(key, (uint64_t)l, 0, NN_STREAM_INIT));
        int rows, cols;
        float fan_in;
        if (ly->kind == NN_LINEAR) {
            rows = ly->in;
            cols = ly->out;
            fan_in = (float)ly->in;
        } else {
            rows = ly->conv.kh * ly->conv.kw * ly->conv.c;
            cols = ly->conv.oc;
            /* a one-hot input has one active value per kernel cell */
            fan_in = (float)(ly->kind == NN_EMBED ? ly->conv.kh * ly->conv.kw : rows);
        }
        int is_out = l == net->n_layers - 1;
        float *w = params + ly->w_off;
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++) {
                float gain = ly->gain;
                if (is_out) gain = j < cols - 1 ? 0.01f : 1.0f;
                /* uniform on [-b, b] has standard deviation b / sqrt(3) */
                float bound = gain * sqrtf(3.0f / fan_in);
                w[(size_t)i * (size_t)cols + (size_t)j] = bound * uniform_pm1(&rng);
            }
    }
}

int nn_work_init(NnWork *ws, const NnNet *net, int max_n) {
    return nn_work_init_groups(ws, net, max_n, 1);
}

int nn_work_init_groups(NnWork *ws, const NnNet *net, int max_n, int groups) {
    memset(ws, 0, sizeof *ws);
    ws->max_n = max_n;
    const NnLayer *l0 = &net->layer[0];
    if (groups < 1 || groups > ENV_MAX_AGENTS) return ENV_EINPUT;
    if (l0->kind == NN_EMBED) {
        size_t tf = nn_embed_table_floats(&l0->conv);
        ws->tables = aligned_alloc(64, ((tf * (size_t)groups * sizeof(float)) + 63) & ~(size_t)63);
        if (!ws->tables) return ENV_ENOMEM;
        ws->table_slots = groups;
    }
    size_t n_input = l0->kind == NN_EMBED ? 0 : (size_t)max_n * (size_t)net->in_size;
    size_t n_col = l0->kind == NN_CONV ? nn_conv_col_floats(&l0->conv, max_n) : 0;
    size_t n_emb = l0->kind == NN_EMBED ? nn_embed_work_bytes(&l0->conv, max_n) / sizeof(float) : 0;
    /* the gradients flowing down are as wide as the widest layer output (a layer's input is
     * the previous layer's output) */
    size_t widest = 0;
    for (int l = 0; l < net->n_layers; l++)
        if ((size_t)net->layer[l].out > widest) widest = (size_t)net->layer[l].out;
    size_t n_dy = (size_t)max_n * widest;
    size_t n_gw = 0, n_gi = 0, n_gb = 0;
    for (int l = 0; l < net->n_layers; l++) {
        if (net->layer[l].kind != NN_GNN) continue;
        GnnShape g = gnn_shape_of(&net->arch, net->layer[l].in);
        n_gw = gnn_work_floats(&g, max_n);
        n_gi = gnn_work_ints(&g, max_n);
        n_gb = (size_t)g.rounds * (size_t)max_n * (size_t)g.bits;
    }
    /* carve one allocation: every view starts on a 16-float boundary */
#define NN_ROUND(x) (((x) + 15) & ~(size_t)15)
    size_t total = NN_ROUND(n_input) + NN_ROUND(n_col) + NN_ROUND(n_emb) + 2 * NN_ROUND(n_dy) +
                   NN_ROUND(n_gw) + NN_ROUND(n_gi) + NN_ROUND(n_gb);
    for (int l = 0; l < net->n_layers; l++)
        total += NN_ROUND((size_t)max_n * (size_t)net->layer[l].out);
    float *block = aligned_alloc(64, NN_ROUND(total) * sizeof(float));
    if (!block) {
        nn_work_close(ws);
        return ENV_ENOMEM;
    }
    memset(block, 0, NN_ROUND(total) * sizeof(float));
    ws->block = block;
    float *p = block;
    ws->input = p;
    p += NN_ROUND(n_input);
    ws->col = p;
    p += NN_ROUND(n_col);
    ws->embed = p;
    p += NN_ROUND(n_emb);
    ws->dy[0] = p;
    p += NN_ROUND(n_dy);
    ws->dy[1] = p;
    p += NN_ROUND(n_dy);
    ws->gnn_work = p;
    p += NN_ROUND(n_gw);
    ws->gnn_iwork = (int32_t *)p; /* int32 and float have one size */
    p += NN_ROUND(n_gi);
    ws->gnn_bits = p;
    p += NN_ROUND(n_gb);
    for (int l = 0; l < net->n_layers; l++) {
        ws->y[l] = p;
        p += NN_ROUND((size_t)max_n * (size_t)net->layer[l].out);
    }
#undef NN_ROUND
    return 0;
}

void nn_work_close(NnWork *ws) {
    free(ws->block);
    free(ws->tables);
    ws->block = NULL;
    ws->tables = NULL;
    ws->table_slots = 0;
}

void nn_work_params_changed(NnWork *ws) {
    for (int i = 0; i < ws->table_slots; i++) ws->table_of[i] = NULL;
}

/* the embedding's table of params: kept from an earlier call, or built into the next slot */
static const float *embed_table_of(const NnNet *net, NnWork *ws, const float *params) {
    const NnLayer *l0 = &net->layer[0];
    size_t tf = nn_embed_table_floats(&l0->conv);
    for (int i = 0; i < ws->table_slots; i++)
        if (ws->table_of[i] == params) return ws->tables + (size_t)i * tf;
    int i = ws->table_next;
    ws->table_next = (i + 1) % ws->table_slots;
    float *table = ws->tables + (size_t)i * tf;
    nn_embed_table(&l0->conv, params + l0->w_off, params + l0->b_off, table);
    ws->table_of[i] = params;
    return table;
}

/* the GNN layer over the rows' groups (one world at one step each) */
static void gnn_layer_forward(const NnNet *net, const NnLayer *ly, const float *params, NnWork *ws,
                              int n, const NnInput *in, const float *x, float *y) {
    GnnShape g = gnn_shape_of(&net->arch, ly->in);
    gnn_forward(&g, params + ly->w_off, n / net->arch.gnn_agents, in->graphs, x, in->pos, in->sent,
                in->noise, y, ws->gnn_bits, ws->gnn_work, ws->gnn_iwork);
}

static void gnn_layer_backward(const NnNet *net, const NnLayer *ly, const float *params, NnWork *ws,
                               int n, const NnInput *in, const float *x, const float *dy, float *dx,
                               float *grads) {
    GnnShape g = gnn_shape_of(&net->arch, ly->in);
    gnn_backward(&g, params + ly->w_off, n / net->arch.gnn_agents, in->graphs, x, in->pos, in->sent,
                 in->noise, dy, grads + ly->w_off, dx, ws->gnn_work, ws->gnn_iwork);
}

/* the float input appended to each row: y (n, in + nf) from x (n, in) and in->x */
static void concat_forward(int n, int in, int nf, const float *x, const NnInput *inp, float *y) {
    for (int i = 0; i < n; i++) {
        float *dst = y + (size_t)i * (size_t)(in + nf);
        memcpy(dst, x + (size_t)i * (size_t)in, sizeof(float) * (size_t)in);
        memcpy(dst + in, inp->x + (size_t)i * inp->x_stride, sizeof(float) * (size_t)nf);
    }
}

/* the gradient of the rows' first `in` values (the float input takes none) */
static void concat_backward(int n, int in, int nf, const float *dy, float *dx) {
    for (int i = 0; i < n; i++)
        memcpy(dx + (size_t)i * (size_t)in, dy + (size_t)i * (size_t)(in + nf),
               sizeof(float) * (size_t)in);
}

void nn_forward_in(const NnNet *net, const float *params, NnWork *ws, int n, const NnInput *in) {
    const NnLayer *l0 = &net->layer[0];
    const uint8_t *obs = in->obs;
    size_t stride = in->stride;
    /* the first layer reads the observation: ids directly, colours as floats in [0, 1] */
    if (l0->kind == NN_EMBED) {
        nn_embed_forward(&l0->conv, n, obs, stride, embed_table_of(net, ws, params), ws->y[0],
                         ws->embed);
    } else {
        int m = net->in_size;
        for (int i = 0; i < n; i++) {
            const uint8_t *src = obs + (size_t)i * stride;
            float *dst = ws->input + (size_t)i * (size_t)m;
            for (int k = 0; k < m; k++) dst[k] = (float)src[k] * (1.0f / 255.0f);
        }
        if (l0->kind == NN_CONV)
            nn_conv_forward(&l0->conv, n, ws->input, params + l0->w_off, params + l0->b_off,
                            ws->y[0], ws->col);
        else
            nn_linear_forward(n, l0->in, l0->out, ws->input, params + l0->w_off, params + l0->b_off,
                              ws->y[0]);
    }
    for (int l = 1; l < net->n_layers; l++) {
        const NnLayer *ly = &net->layer[l];
        const float *x = ws->y[l - 1];
        size_t count = (size_t)n * (size_t)ly->out;
        if (ly->kind == NN_RELU)
            nn_relu_forward(count, x, ws->y[l]);
        else if (ly->kind == NN_TANH)
            nn_tanh_forward(count, x, ws->y[l]);
        else if (ly->kind == NN_CONCAT)
            concat_forward(n, ly->in, ly->out - ly->in, x, in, ws->y[l]);
        else if (ly->kind == NN_GNN)
            gnn_layer_forward(net, ly, params, ws, n, in, x, ws->y[l]);
        else
            nn_linear_forward(n, ly->in, ly->out, x, params + ly->w_off, params + ly->b_off,
                              ws->y[l]);
    }
}

void nn_forward(const NnNet *net, const float *params, NnWork *ws, int n, const uint8_t *obs,
                size_t stride) {
    NnInput in = {.obs = obs, .stride = stride};
    nn_forward_in(net, params, ws, n, &in);
}

void nn_backward_in(const NnNet *net, const float *params, NnWork *ws, int n, const NnInput *in,
                    const float *dout, float *grads) {
    const float *d = dout; /* the gradient flowing into the current layer's output */
    int spare = 0;         /* the ping-pong buffer that d is not in */
    for (int l = net->n_layers - 1; l >= 1; l--) {
        const NnLayer *ly = &net->layer[l];
        size_t count = (size_t)n * (size_t)ly->out;
        float *dx = ws->dy[spare];
        if (ly->kind == NN_RELU) {
            nn_relu_backward(count, ws->y[l], d, dx);
        } else if (ly->kind == NN_TANH) {
            nn_tanh_backward(count, ws->y[l], d, dx);
        } else if (ly->kind == NN_CONCAT) {
            concat_backward(n, ly->in, ly->out - ly->in, d, dx);
        } else if (ly->kind == NN_GNN) {
            gnn_layer_backward(net, ly, params, ws, n, in, ws->y[l - 1], d, dx, grads);
        } else {
            nn_linear_backward(n, ly->in, ly->out, ws->y[l - 1], params + ly->w_off, d, dx,
                               grads + ly->w_off, grads + ly->b_off);
        }
        d = dx;
        spare ^= 1;
    }
    /* the first layer: parameter gradients only */
    const NnLayer *l0 = &net->layer[0];
    if (l0->kind == NN_EMBED)
        nn_embed_backward(&l0->conv, n, d, grads + l0->w_off, grads + l0->b_off, ws->embed);
    else if (l0->kind == NN_CONV)
        nn_conv_backward(&l0->conv, n, params + l0->w_off, d, NULL, grads + l0->w_off,
                         grads + l0->b_off, ws->col);
    else
        nn_linear_backward(n, l0->in, l0->out, ws->input, params + l0->w_off, d, NULL,
                           grads + l0->w_off, grads + l0->b_off);
}

void nn_backward(const NnNet *net, const float *params, NnWork *ws, int n, const uint8_t *obs,
                 size_t stride, const float *dout, float *grads) {
    NnInput in = {.obs = obs, .stride = stride};
    nn_backward_in(net, params, ws, n, &in, dout, grads);
}

/* ---- model and Adam ---- */

int nn_model_init(NnModel *m, const NnArch *arch, int n_groups, uint64_t seed, EnvError *err) {
    memset(m, 0, sizeof *m);
    int rc = nn_net_init(&m->net, arch, err);
    if (rc) return rc;
    if (n_groups < 1) return env_fail(err, ENV_EINPUT, "a model needs at least one group");
    m->n_groups = n_groups;
    m->n = m->net.n_params;
    /* params, grads, m and v of every group; each view on a 64-byte boundary */
    size_t per = (m->n * (size_t)n_groups + 15) & ~(size_t)15;
    float *block = aligned_alloc(64, 4 * per * sizeof(float));
    if (!block) return env_fail(err, ENV_ENOMEM, "out of memory for %zu parameters", 4 * per);
    memset(block, 0, 4 * per * sizeof(float));
    m->block = block;
    m->params = block;
    m->grads = block + per;
    m->m = block + 2 * per;
    m->v = block + 3 * per;
    for (int g = 0; g < n_groups; g++)
        nn_net_init_params(&m->net, m->params + (size_t)g * m->n,
                           env_hash4(seed, (uint64_t)g, 0, NN_STREAM_INIT));
    return 0;
}

void nn_model_close(NnModel *m) {
    free(m->block);
    m->block = NULL;
}

/* Adam over n values, four at a time where SSE2 is there (x86-64): the same operations in the
 * same order as the scalar loop below, lane by lane (IEEE-exact multiply, add, divide and square
 * root, no fused multiply-add), so the bits do not depend on the path. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#include <immintrin.h>
#define NN_ADAM_AVX 1
/* eight at a time on a processor with AVX (picked at run time): the same operations again; returns
 * how many values it did */
__attribute__((target("avx"))) static size_t
adam_span_avx(size_t n, float *restrict p, float *restrict m, float *restrict v, float *restrict g,
              float scale, float beta1, float beta2, float step, float inv_sqrt_bc2, float eps) {
    float c1 = 1.0f - beta1, c2 = 1.0f - beta2;
    int scaled = scale != 1.0f;
    const __m256 vb1 = _mm256_set1_ps(beta1), vb2 = _mm256_set1_ps(beta2), vc1 = _mm256_set1_ps(c1),
                 vc2 = _mm256_set1_ps(c2), vst = _mm256_set1_ps(step),
                 vinv = _mm256_set1_ps(inv_sqrt_bc2), veps = _mm256_set1_ps(eps),
                 vsc = _mm256_set1_ps(scale);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 gi = _mm256_mul_ps(_mm256_loadu_ps(g + i), vsc);
        if (scaled) _mm256_storeu_ps(g + i, gi);
        __m256 mi =
            _mm256_add_ps(_mm256_mul_ps(vb1, _mm256_loadu_ps(m + i)), _mm256_mul_ps(vc1, gi));
        __m256 vi = _mm256_add_ps(_mm256_mul_ps(vb2, _mm256_loadu_ps(v + i)),
                                  _mm256_mul_ps(_mm256_mul_ps(vc2, gi), gi));
        __m256 den = _mm256_add_ps(_mm256_mul_ps(_mm256_sqrt_ps(vi), vinv), veps);
        __m256 pi =
            _mm256_sub_ps(_mm256_loadu_ps(p + i), _mm256_div_ps(_mm256_mul_ps(vst, mi), den));
        _mm256_storeu_ps(m + i, mi);
        _mm256_storeu_ps(v + i, vi);
        _mm256_storeu_ps(p + i, pi);
    }
    return i;
}
#endif

static void adam_span(size_t n, float *restrict p, float *restrict m, float *restrict v,
                      float *restrict g, float scale, float beta1, float beta2, float step,
                      float inv_sqrt_bc2, float eps) {
    float c1 = 1.0f - beta1, c2 = 1.0f - beta2;
    int scaled = scale != 1.0f; /* the gradients keep what the step used */
    size_t i = 0;
#if defined(NN_ADAM_AVX)
    if (__builtin_cpu_supports("avx"))
        i = adam_span_avx(n, p, m, v, g, scale, beta1, beta2, step, inv_sqrt_bc2, eps);
#endif
#if defined(__SSE2__)
    const __m128 vb1 = _mm_set1_ps(beta1), vb2 = _mm_set1_ps(beta2), vc1 = _mm_set1_ps(c1),
                 vc2 = _mm_set1_ps(c2), vst = _mm_set1_ps(step), vinv = _mm_set1_ps(inv_sqrt_bc2),
                 veps = _mm_set1_ps(eps), vsc = _mm_set1_ps(scale);
    for (; i + 4 <= n; i += 4) {
        __m128 gi = _mm_mul_ps(_mm_loadu_ps(g + i), vsc);
        if (scaled) _mm_storeu_ps(g + i, gi);
        __m128 mi = _mm_add_ps(_mm_mul_ps(vb1, _mm_loadu_ps(m + i)), _mm_mul_ps(vc1, gi));
        __m128 vi =
            _mm_add_ps(_mm_mul_ps(vb2, _mm_loadu_ps(v + i)), _mm_mul_ps(_mm_mul_ps(vc2, gi), gi));
        __m128 den = _mm_add_ps(_mm_mul_ps(_mm_sqrt_ps(vi), vinv), veps);
        __m128 pi = _mm_sub_ps(_mm_loadu_ps(p + i), _mm_div_ps(_mm_mul_ps(vst, mi), den));
        _mm_storeu_ps(m + i, mi);
        _mm_storeu_ps(v + i, vi);
        _mm_storeu_ps(p + i, pi);
    }
#endif
    for (; i < n; i++) {
        float gi = g[i] * scale;
        if (scaled) g[i] = gi;
        m[i] = beta1 * m[i] + c1 * gi;
        v[i] = beta2 * v[i] + c2 * gi * gi;
        p[i] -= step * m[i] / (sqrtf(v[i]) * inv_sqrt_bc2 + eps);
    }
}

void nn_adam_step_scaled(NnModel *md, const float *scale, float lr, float beta1, float beta2,
                         float eps) {
    md->adam_steps++;
    double bc1 = 1.0 - pow((double)beta1, (double)md->adam_steps);
    double bc2 = 1.0 - pow((double)beta2, (double)md->adam_steps);
    float step = (float)((double)lr / bc1);
    float inv_sqrt_bc2 = (float)(1.0 / sqrt(bc2));
    for (int gr = 0; gr < md->n_groups; gr++) {
        size_t o = (size_t)gr * md->n;
        adam_span(md->n, md->params + o, md->m + o, md->v + o, md->grads + o,
                  scale ? scale[gr] : 1.0f, beta1, beta2, step, inv_sqrt_bc2, eps);
    }
}

void nn_adam_step(NnModel *md, float lr, float beta1, float beta2, float eps) {
    nn_adam_step_scaled(md, NULL, lr, beta1, beta2, eps);
}

/* 1 when the eight floats at g are all zero (of either sign) */
static int zero8(const float *g) {
    uint32_t bits = 0;
    for (int k = 0; k < 8; k++) {
        uint32_t b;
        memcpy(&b, g + k, sizeof b);
        bits |= b;
    }
    return (bits & 0x7fffffffu) == 0;
}

double nn_norm(const float *g, size_t n) {
    /* the squares summed in order; eight zeros at a time are skipped, as adding +0 to the sum
     * leaves it as it was (the embedding's gradient is zero for every id a batch lacks) */
    double s = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        if (!zero8(g + i))
            for (size_t k = i; k < i + 8; k++) s += (double)g[k] * (double)g[k];
    for (; i < n; i++) s += (double)g[i] * (double)g[i];
    return sqrt(s);
}
