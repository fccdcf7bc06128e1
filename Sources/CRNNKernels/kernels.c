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

// Cephes tanhf: an odd polynomial below |x| = 0.625, 1 - 2 / (e^{2|x|} + 1) above.
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
            float i = fast_sigmoid(gi[j]), f = fast_sigmoid(gf[j]), c = fast_tanh(gg[j]), o = fast_sigmoid(go[j]);
            gi[j] = i; gf[j] = f; gg[j] = c; go[j] = o;
            float cell = f * cp[j] + i * c;
            float t = fast_tanh(cell);
            cn[j] = cell; tc[j] = t; hn[j] = o * t;
        }
    }
}

MULTIVERSION void rnn_lstm_step_backward_f32(const float *gates, const float *cPrev, const float *tanhC,
                                             const float *dOut, const float *dh, float *dc, float *dGates,
                                             size_t rows, size_t hidden) {
    const size_t h = hidden, g = 4 * hidden;
    for (size_t r = 0; r < rows; r++) {
        const float *restrict gi = gates + r * g, *restrict gf = gi + h, *restrict gg = gi + 2 * h, *restrict go = gi + 3 * h;
        const float *restrict cp = cPrev + r * h, *restrict tc = tanhC + r * h;
        const float *restrict dout = dOut + r * h, *restrict dhr = dh + r * h;
        float *restrict dcr = dc + r * h;
        float *restrict di = dGates + r * g, *restrict df = di + h, *restrict dg = di + 2 * h, *restrict dO = di + 3 * h;
        // The row's gate blocks and state rows never overlap (restrict on locals is not enough for clang).
#pragma clang loop vectorize(assume_safety)
        for (size_t j = 0; j < h; j++) {
            float i = gi[j], f = gf[j], c = gg[j], o = go[j], t = tc[j];
            float dhj = dout[j] + dhr[j];
            float dcj = dcr[j] + dhj * o * (1.0f - t * t);
            di[j] = dcj * c * i * (1.0f - i);
            df[j] = dcj * cp[j] * f * (1.0f - f);
            dg[j] = dcj * i * (1.0f - c * c);
            dO[j] = dhj * t * o * (1.0f - o);
            dcr[j] = dcj * f;
        }
    }
}

#include <math.h>

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

void rnn_pack_f32(const float *w, size_t ldw, int transposed, size_t k, size_t n, float *packed) {
    size_t panels = (n + 15) / 16;
    for (size_t p = 0; p < panels; p++) {
        float *dst = packed + p * k * 16;
        for (size_t kk = 0; kk < k; kk++) {
            for (size_t i = 0; i < 16; i++) {
                size_t j = p * 16 + i;
                dst[kk * 16 + i] = j < n ? (transposed ? w[j * ldw + kk] : w[kk * ldw + j]) : 0.0f;
            }
        }
    }
}

INLINE void micro_kernel(const size_t MR, const size_t NR, size_t k, const float *a, size_t lda,
                         const float *p, size_t panel_stride, float *c, size_t ldc, size_t ncols, int accumulate) {
    v16 acc[8][4];
    for (size_t r = 0; r < MR; r++)
        for (size_t q = 0; q < NR; q++) acc[r][q] = (v16){0};
    for (size_t kk = 0; kk < k; kk++) {
        v16 b[4];
        for (size_t q = 0; q < NR; q++) b[q] = *(const v16u *)(p + q * panel_stride + kk * 16);
        for (size_t r = 0; r < MR; r++) {
            float av = a[r * lda + kk];
            for (size_t q = 0; q < NR; q++) acc[r][q] += b[q] * av;
        }
    }
    for (size_t r = 0; r < MR; r++) {
        float *row = c + r * ldc;
        for (size_t q = 0; q < NR; q++) {
            size_t col = q * 16;
            if (col + 16 <= ncols) {
                v16u *dst = (v16u *)(row + col);
                *dst = accumulate ? *dst + acc[r][q] : acc[r][q];
            } else {
                for (size_t i = 0; col + i < ncols; i++) row[col + i] = (accumulate ? row[col + i] : 0.0f) + acc[r][q][i];
            }
        }
    }
}

// The rows of one block of the 6-row tiling: 6, or the remainder 1…5 of the last block.
#define MR_CASES(NR)                                                                                     \
    switch (mr) {                                                                                        \
    case 6: micro_kernel(6, NR, k, a0, lda, p0, k * 16, c0, ldc, ncols, accumulate); break;              \
    case 5: micro_kernel(5, NR, k, a0, lda, p0, k * 16, c0, ldc, ncols, accumulate); break;              \
    case 4: micro_kernel(4, NR, k, a0, lda, p0, k * 16, c0, ldc, ncols, accumulate); break;              \
    case 3: micro_kernel(3, NR, k, a0, lda, p0, k * 16, c0, ldc, ncols, accumulate); break;              \
    case 2: micro_kernel(2, NR, k, a0, lda, p0, k * 16, c0, ldc, ncols, accumulate); break;              \
    default: micro_kernel(1, NR, k, a0, lda, p0, k * 16, c0, ldc, ncols, accumulate); break;             \
    }

// Two register tilings of at most 24 accumulators: 6 rows × 4 panels, or 8 rows × 3 panels when the row
// count is a multiple of 8 but not of 6 (batches and shards of 16, 32, 64 rows: no 2- or 4-row remainder)
// and k is long enough to amortise the wider A broadcasts. The 8-row path assumes m % 8 == 0 — every row
// block is a full 8 rows, so it needs no remainder kernel — which `tall` checks. Measured (best of 15, AVX-512): 64×1024×256
// 135 → 154 GFLOP/s, 32×128×512 125 → 150; but 32×512×128 drops 144 → 105, hence the k threshold.
MULTIVERSION void rnn_gemm_packed_f32(size_t m, size_t n, size_t k, const float *a, size_t lda,
                                      const float *packed, float *c, size_t ldc, int accumulate) {
    const int tall = (m % 8 == 0) && (m % 6 != 0) && k >= 256;
    const size_t MR = tall ? 8 : 6, NRMAX = tall ? 3 : 4;
    size_t panels = (n + 15) / 16;
    for (size_t np = 0; np < panels; np += NRMAX) {
        size_t nr = panels - np < NRMAX ? panels - np : NRMAX;
        size_t ncols = n - np * 16 < nr * 16 ? n - np * 16 : nr * 16;
        const float *p0 = packed + np * k * 16;
        for (size_t m0 = 0; m0 < m; m0 += MR) {
            size_t mr = m - m0 < MR ? m - m0 : MR;
            const float *a0 = a + m0 * lda;
            float *c0 = c + m0 * ldc + np * 16;
            if (tall) {
                switch (nr) {
                case 3: micro_kernel(8, 3, k, a0, lda, p0, k * 16, c0, ldc, ncols, accumulate); break;
                case 2: micro_kernel(8, 2, k, a0, lda, p0, k * 16, c0, ldc, ncols, accumulate); break;
                default: micro_kernel(8, 1, k, a0, lda, p0, k * 16, c0, ldc, ncols, accumulate); break;
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
