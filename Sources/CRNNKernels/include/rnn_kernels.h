#ifndef RNN_KERNELS_H
#define RNN_KERNELS_H

#include <stddef.h>

// Float kernels of the numeric core's hot loops, written as plain C loops that clang vectorises, and
// compiled once per x86-64 level (AVX-512, AVX2+FMA, baseline) with the best picked at load time.

// y[i] = 1 / (1 + exp(-x[i])); x and y may be the same.
void rnn_sigmoid_f32(const float *x, float *y, size_t n);
// y[i] = tanh(x[i]); x and y may be the same.
void rnn_tanh_f32(const float *x, float *y, size_t n);

// One LSTM time step after the recurrent product, for `rows` rows of gate pre-activations
// (gates: [rows, 4H], order i f g o; activated in place), previous cell state cPrev [rows, H]:
// writes cNext, tanh(cNext) and hNext, each [rows, H].
void rnn_lstm_step_forward_f32(float *gates, const float *cPrev, float *cNext, float *tanhC, float *hNext,
                               size_t rows, size_t hidden);

// The pointwise part of one LSTM step backward. dOut: gradient arriving at h_t [rows, H]; dh: gradient
// from step t+1 through the recurrence [rows, H] (read); dc: the cell gradient from step t+1 (read, then
// overwritten with the one for step t-1); writes dGates [rows, 4H] at the pre-activations.
void rnn_lstm_step_backward_f32(const float *gates, const float *cPrev, const float *tanhC, const float *dOut,
                                const float *dh, float *dc, float *dGates, size_t rows, size_t hidden);

// Softmax of each of `rows` rows of `columns` logits, in place; logSumExp[r] = log Σ exp(x[r, :]),
// computed stably (max subtracted), so a cross-entropy is logSumExp[r] - logit[target].
void rnn_softmax_rows_f32(float *x, size_t rows, size_t columns, float *logSumExp);

#ifndef RNN_KERNELS_GEMM_H
#define RNN_KERNELS_GEMM_H
// Recurrent products with the weight matrix packed once and reused for all T time steps.
//
// B is the k × n right-hand operand: B[kk][j] = w[j * ldw + kk] when `transposed` (h · W_hhᵀ, forward),
// w[kk * ldw + j] otherwise (dG · W_hh, backward). The packed form is column panels of 16:
// packed[(p * k + kk) * 16 + i] = B[kk][16p + i], zero beyond n. Size: rnn_packed_size_f32(k, n) floats.
size_t rnn_packed_size_f32(size_t k, size_t n);
void rnn_pack_f32(const float *w, size_t ldw, int transposed, size_t k, size_t n, float *packed);
// C[m, n] = A[m, k] · B (accumulate = 0) or C += A · B (accumulate = 1), row-major A (lda) and C (ldc).
void rnn_gemm_packed_f32(size_t m, size_t n, size_t k, const float *a, size_t lda, const float *packed,
                         float *c, size_t ldc, int accumulate);
#endif
#endif
