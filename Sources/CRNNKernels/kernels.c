#include "rnn_kernels.h"
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && defined(__clang__)
#define MULTIVERSION __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define MULTIVERSION
#endif
#define INLINE static inline __attribute__((always_inline))

// Cephes expf: e^x = 2^n · e^r with n = round(x / ln 2) and |r| ≤ ln 2 / 2; e^r by a degree-5 polynomial;
// 2^n written straight into a float's exponent bits. Branch-free so that loops over it vectorise.
//
// - Rounding: adding magic = 1.5 · 2^23 pushes the fraction bits out of the float, so `shifted` holds
//   round(x · log2 e) in the low bits of its mantissa, and `shifted - magic` is n as a float.
// - Cody–Waite reduction: r = x - n·ln 2 with ln 2 split in two, C1 = 0.693359375 (= 355/512, few enough
//   bits that n·C1 is exact for |n| ≤ 128) and C2 = -2.12194440e-4 (the rest of ln 2); subtracting n·C1
//   then n·C2 loses no bits, where one product with a rounded ln 2 would lose about 8.
// - Scale: the bits of `shifted` minus the bits of magic (0x4B400000) are n as an integer; plus the bias
//   127, shifted into the exponent field (<< 23), they are the float 2^n. The clamp to [-87.3, 88.3] keeps
//   n + 127 within 1…254, so the result never becomes a denormal or infinity through this path.
INLINE float fast_exp(float x) {
    x = x < -87.3f ? -87.3f : (x > 88.3f ? 88.3f : x);
    const float magic = 12582912.0f;  // 1.5 * 2^23: adding it rounds to the nearest integer
    float shifted = x * 1.44269504f + magic;
    float n = shifted - magic;
    x = x - n * 0.693359375f + n * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * x + 1.3981999507e-3f;
    p = p * x + 8.3334519073e-3f;
    p = p * x + 4.1665795894e-2f;
    p = p * x + 1.6666665459e-1f;
    p = p * x + 5.0000001201e-1f;
    float y = p * x * x + x + 1.0f;
    int32_t bits;
    memcpy(&bits, &shifted, 4);
    bits = (bits - 0x4B400000 + 127) << 23;
    float scale;
    memcpy(&scale, &bits, 4);
    return y * scale;
}

INLINE float fast_sigmoid(float x) { return 1.0f / (1.0f + fast_exp(-x)); }

// Cephes tanhf: an odd polynomial below |x| = 0.625, 1 - 2 / (e^{2|x|} + 1) above; a few ulp relative error.
INLINE float fast_tanh(float x) {
    float ax = x < 0 ? -x : x;
    float large = 1.0f - 2.0f / (fast_exp(ax + ax) + 1.0f);
    large = x < 0 ? -large : large;
    float z = x * x;
    float p = -5.70498872745e-3f;
    p = p * z + 2.06390887954e-2f;
    p = p * z - 5.37397155531e-2f;
    p = p * z + 1.33314422036e-1f;
    p = p * z - 3.33332819422e-1f;
    float small = p * z * x + x;
    return ax >= 0.625f ? large : small;
}

// tanh x = 2σ(2x) − 1: one exponential and one division, no second formula, but an absolute error of about
// 1.2e-7 (an ulp of 1) rather than a relative one, so tanh of a tiny x is off by up to that much. The LSTM step
// uses it, where tanh g and tanh c enter sums of O(1) terms.
INLINE float fast_tanh_absolute(float x) { return 2.0f * fast_sigmoid(x + x) - 1.0f; }

MULTIVERSION void rnn_sigmoid_f32(const float *x, float *y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = fast_sigmoid(x[i]);
}

MULTIVERSION void rnn_tanh_f32(const float *x, float *y, size_t n) {
    for (size_t i = 0; i < n; i++) y[i] = fast_tanh(x[i]);
}

MULTIVERSION void rnn_lstm_step_forward_f32(float *gates, const float *cPrev, float *cNext, float *tanhC,
                                            float *hNext, size_t rows, size_t hidden) {
    const size_t h = hidden, g = 4 * hidden;
    for (size_t r = 0; r < rows; r++) {
        float *restrict gi = gates + r * g, *restrict gf = gi + h, *restrict gg = gi + 2 * h, *restrict go = gi + 3 * h;
        const float *restrict cp = cPrev + r * h;
        float *restrict cn = cNext + r * h, *restrict tc = tanhC + r * h, *restrict hn = hNext + r * h;
        // The row's gate blocks and state rows never overlap (restrict on locals is not enough for clang).
#pragma clang loop vectorize(assume_safety)
        for (size_t j = 0; j < h; j++) {
            float i = fast_sigmoid(gi[j]), f = fast_sigmoid(gf[j]), c = fast_tanh_absolute(gg[j]), o = fast_sigmoid(go[j]);
            gi[j] = i; gf[j] = f; gg[j] = c; go[j] = o;
            float cell = f * cp[j] + i * c;
            float t = fast_tanh_absolute(cell);
            cn[j] = cell; tc[j] = t; hn[j] = o * t;
        }
    }
}

MULTIVERSION void rnn_lstm_step_backward_f32(const float *gates, const float *cPrev, const float *tanhC,
                                             const float *dOut, const float *dh, float *dc, float *dGates, float *dBias,
                                             size_t rows, size_t hidden) {
    const size_t h = hidden, g = 4 * hidden;
    float *restrict bi = dBias, *restrict bf = bi + h, *restrict bg = bi + 2 * h, *restrict bo = bi + 3 * h;
    for (size_t r = 0; r < rows; r++) {
        const float *restrict gi = gates + r * g, *restrict gf = gi + h, *restrict gg = gi + 2 * h, *restrict go = gi + 3 * h;
        const float *restrict cp = cPrev + r * h, *restrict tc = tanhC + r * h;
        const float *restrict dout = dOut + r * h, *restrict dhr = dh + r * h;
        float *restrict dcr = dc + r * h;
        float *restrict di = dGates + r * g, *restrict df = di + h, *restrict dg = di + 2 * h, *restrict dO = di + 3 * h;
        // The row's gate blocks, state rows and the bias sums never overlap (restrict on locals is not enough
        // for clang).
#pragma clang loop vectorize(assume_safety)
        for (size_t j = 0; j < h; j++) {
            float i = gi[j], f = gf[j], c = gg[j], o = go[j], t = tc[j];
            float dhj = dout[j] + dhr[j];
            float dcj = dcr[j] + dhj * o * (1.0f - t * t);
            float dI = dcj * c * i * (1.0f - i), dF = dcj * cp[j] * f * (1.0f - f);
            float dG = dcj * i * (1.0f - c * c), dOg = dhj * t * o * (1.0f - o);
            di[j] = dI; df[j] = dF; dg[j] = dG; dO[j] = dOg;
            bi[j] += dI; bf[j] += dF; bg[j] += dG; bo[j] += dOg;
            dcr[j] = dcj * f;
        }
    }
}

#include <math.h>

// The optimizers: memory-bound loops over four to five flat buffers; written here so that the square root
// and the division vectorise (Swift's scalar loop issued sqrtss and two divss per parameter).
MULTIVERSION void rnn_adam_f32(float *restrict p, const float *restrict g, float *restrict m, float *restrict v, size_t n,
                               float beta1, float beta2, float stepSize, float rootC2, float eps, float decay, float l2) {
    for (size_t i = 0; i < n; i++) {
        float grad = g[i] + l2 * p[i];
        float mi = beta1 * m[i] + (1.0f - beta1) * grad;
        float vi = beta2 * v[i] + (1.0f - beta2) * grad * grad;
        m[i] = mi; v[i] = vi;
        p[i] = p[i] * decay - stepSize * mi / (sqrtf(vi) / rootC2 + eps);
    }
}

MULTIVERSION void rnn_sgd_f32(float *restrict p, const float *restrict g, float *restrict buf, size_t n, float lr, float wd,
                              float momentum, int nesterov, int first) {
    if (!buf) {
        for (size_t i = 0; i < n; i++) p[i] -= lr * (g[i] + wd * p[i]);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        float grad = g[i] + wd * p[i];
        float b = first ? grad : momentum * buf[i] + grad;
        buf[i] = b;
        p[i] -= lr * (nesterov ? grad + momentum * b : b);
    }
}

MULTIVERSION void rnn_rmsprop_f32(float *restrict p, const float *restrict g, float *restrict sq, float *restrict buf, size_t n,
                                  float lr, float wd, float alpha, float eps, float momentum) {
    for (size_t i = 0; i < n; i++) {
        float grad = g[i] + wd * p[i];
        float s = alpha * sq[i] + (1.0f - alpha) * grad * grad;
        sq[i] = s;
        float scaled = grad / (sqrtf(s) + eps);
        if (buf) {
            float b = momentum * buf[i] + scaled;
            buf[i] = b;
            p[i] -= lr * b;
        } else {
            p[i] -= lr * scaled;
        }
    }
}

// Reductions keep 16 independent lanes: without -ffast-math clang may not reorder a float sum or max,
// so a plain loop over the row would stay scalar; 16 lanes updated side by side vectorise.
INLINE float row_max(const float *x, size_t n) {
    float lanes[16];
    for (int i = 0; i < 16; i++) lanes[i] = x[0];
    size_t j = 0;
    for (; j + 16 <= n; j += 16)
        for (int i = 0; i < 16; i++) lanes[i] = x[j + i] > lanes[i] ? x[j + i] : lanes[i];
    float m = lanes[0];
    for (int i = 1; i < 16; i++) m = lanes[i] > m ? lanes[i] : m;
    for (; j < n; j++) m = x[j] > m ? x[j] : m;
    return m;
}

INLINE float row_sum(const float *x, size_t n) {
    float lanes[16] = {0};
    size_t j = 0;
    for (; j + 16 <= n; j += 16)
        for (int i = 0; i < 16; i++) lanes[i] += x[j + i];
    float s = 0;
    for (int i = 0; i < 16; i++) s += lanes[i];
    for (; j < n; j++) s += x[j];
    return s;
}

MULTIVERSION void rnn_softmax_rows_f32(float *x, size_t rows, size_t columns, float *logSumExp) {
    for (size_t r = 0; r < rows; r++) {
        float *row = x + r * columns;
        float m = row_max(row, columns);
        for (size_t j = 0; j < columns; j++) row[j] = fast_exp(row[j] - m);
        float sum = row_sum(row, columns);
        float inverse = 1.0f / sum;
        for (size_t j = 0; j < columns; j++) row[j] *= inverse;
        logSumExp[r] = m + logf(sum);
    }
}

// ---- Recurrent products over packed weights --------------------------------------------------------
//
// Register blocking: MR rows × NR panels of 16 columns are accumulated in MR·NR vector registers
// (6 × 4 = 24 of AVX-512's 32) while the k loop streams the packed panels; each k step loads NR vectors,
// broadcasts MR scalars of A and issues MR·NR fused multiply-adds.

typedef float v16 __attribute__((vector_size(64)));
typedef float v16u __attribute__((vector_size(64), aligned(4)));

size_t rnn_packed_size_f32(size_t k, size_t n) { return ((n + 15) / 16) * 16 * k; }

MULTIVERSION void rnn_pack_f32(const float *w, size_t ldw, int transposed, size_t k, size_t n, float *packed) {
    size_t panels = (n + 15) / 16;
    for (size_t p = 0; p < panels; p++) {
        float *dst = packed + p * k * 16;
        size_t j0 = p * 16, width = n - j0 < 16 ? n - j0 : 16;
        if (width < 16) memset(dst, 0, k * 16 * sizeof(float));
        if (transposed) {
            // B[kk][j] = w[j·ldw + kk]: each of the panel's rows of w is read contiguously.
            for (size_t i = 0; i < width; i++) {
                const float *src = w + (j0 + i) * ldw;
                for (size_t kk = 0; kk < k; kk++) dst[kk * 16 + i] = src[kk];
            }
        } else {
            for (size_t kk = 0; kk < k; kk++) memcpy(dst + kk * 16, w + kk * ldw + j0, width * sizeof(float));
        }
    }
}

// The micro-kernel's operands: up to two terms A·B over packed B (k = 0: no second term), and an optional
// bias added to every row. The terms are pre-offset to the block's first row and first panel.
struct terms {
    const float *a1, *p1, *a2, *p2;
    size_t lda1, k1, lda2, k2;
    const float *bias;  // at the block's first column, or NULL
};

// acc[r][q] += Σ_kk a[r·lda + kk] · panel q's row kk: MR·NR fused multiply-adds per NR loads and MR broadcasts.
INLINE void accumulate_term(const size_t MR, const size_t NR, v16 acc[8][4], const float *a, size_t lda, const float *p, size_t k) {
    for (size_t kk = 0; kk < k; kk++) {
        v16 b[4];
        for (size_t q = 0; q < NR; q++) b[q] = *(const v16u *)(p + q * k * 16 + kk * 16);
        for (size_t r = 0; r < MR; r++) {
            float av = a[r * lda + kk];
            for (size_t q = 0; q < NR; q++) acc[r][q] += b[q] * av;
        }
    }
}

INLINE void micro_kernel(const size_t MR, const size_t NR, const struct terms *t, float *c, size_t ldc, size_t ncols,
                         int accumulate) {
    v16 acc[8][4];
    for (size_t r = 0; r < MR; r++)
        for (size_t q = 0; q < NR; q++) acc[r][q] = (v16){0};
    accumulate_term(MR, NR, acc, t->a1, t->lda1, t->p1, t->k1);
    accumulate_term(MR, NR, acc, t->a2, t->lda2, t->p2, t->k2);
    for (size_t q = 0; q < NR; q++) {
        size_t col = q * 16;
        if (col + 16 <= ncols) {
            v16 bias = t->bias ? *(const v16u *)(t->bias + col) : (v16){0};
            for (size_t r = 0; r < MR; r++) {
                v16u *dst = (v16u *)(c + r * ldc + col);
                *dst = (accumulate ? *dst + acc[r][q] : acc[r][q]) + bias;
            }
        } else {
            for (size_t r = 0; r < MR; r++)
                for (size_t i = 0; col + i < ncols; i++) {
                    float *dst = c + r * ldc + col + i;
                    *dst = (accumulate ? *dst : 0.0f) + acc[r][q][i] + (t->bias ? t->bias[col + i] : 0.0f);
                }
        }
    }
}

// The rows of one block of the 6-row tiling: 6, or the remainder 1…5 of the last block.
#define MR_CASES(NR)                                                                                     \
    switch (mr) {                                                                                        \
    case 6: micro_kernel(6, NR, &block, c0, ldc, ncols, accumulate); break;                              \
    case 5: micro_kernel(5, NR, &block, c0, ldc, ncols, accumulate); break;                              \
    case 4: micro_kernel(4, NR, &block, c0, ldc, ncols, accumulate); break;                              \
    case 3: micro_kernel(3, NR, &block, c0, ldc, ncols, accumulate); break;                              \
    case 2: micro_kernel(2, NR, &block, c0, ldc, ncols, accumulate); break;                              \
    default: micro_kernel(1, NR, &block, c0, ldc, ncols, accumulate); break;                             \
    }

// Two register tilings of at most 24 accumulators: 6 rows × 4 panels, or 8 rows × 3 panels when the row
// count is a multiple of 8 but not of 6 (batches and shards of 16, 32, 64 rows: no 2- or 4-row remainder)
// and k is long enough to amortise the wider A broadcasts. The 8-row path assumes m % 8 == 0 — every row
// block is a full 8 rows, so it needs no remainder kernel — which `tall` checks. Measured (best of 15, AVX-512): 64×1024×256
// 135 → 154 GFLOP/s, 32×128×512 125 → 150; but 32×512×128 drops 144 → 105, hence the k threshold.
MULTIVERSION void rnn_gemm_packed_f32(size_t m, size_t n, size_t k1, const float *a1, size_t lda1, const float *packed1,
                                       size_t k2, const float *a2, size_t lda2, const float *packed2, const float *bias,
                                       float *c, size_t ldc, int accumulate) {
    const int tall = (m % 8 == 0) && (m % 6 != 0) && k1 + k2 >= 256;
    const size_t MR = tall ? 8 : 6, NRMAX = tall ? 3 : 4;
    size_t panels = (n + 15) / 16;
    for (size_t np = 0; np < panels; np += NRMAX) {
        size_t nr = panels - np < NRMAX ? panels - np : NRMAX;
        size_t ncols = n - np * 16 < nr * 16 ? n - np * 16 : nr * 16;
        for (size_t m0 = 0; m0 < m; m0 += MR) {
            size_t mr = m - m0 < MR ? m - m0 : MR;
            struct terms block = {
                .a1 = a1 + m0 * lda1, .p1 = packed1 + np * k1 * 16, .lda1 = lda1, .k1 = k1,
                .a2 = k2 ? a2 + m0 * lda2 : NULL, .p2 = k2 ? packed2 + np * k2 * 16 : NULL, .lda2 = lda2, .k2 = k2,
                .bias = bias ? bias + np * 16 : NULL,
            };
            float *c0 = c + m0 * ldc + np * 16;
            if (tall) {
                switch (nr) {
                case 3: micro_kernel(8, 3, &block, c0, ldc, ncols, accumulate); break;
                case 2: micro_kernel(8, 2, &block, c0, ldc, ncols, accumulate); break;
                default: micro_kernel(8, 1, &block, c0, ldc, ncols, accumulate); break;
                }
                continue;
            }
            switch (nr) {
            case 4: MR_CASES(4) break;
            case 3: MR_CASES(3) break;
            case 2: MR_CASES(2) break;
            default: MR_CASES(1) break;
            }
        }
    }
}
