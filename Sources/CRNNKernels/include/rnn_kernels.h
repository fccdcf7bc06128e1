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
// overwritten with the one for step t-1); writes dGates [rows, 4H] at the pre-activations and adds their
// column sums to dBias [4H] (the bias gradient, summed row by row as the steps go).
void rnn_lstm_step_backward_f32(const float *gates, const float *cPrev, const float *tanhC, const float *dOut,
                                const float *dh, float *dc, float *dGates, float *dBias, size_t rows, size_t hidden);

// Softmax of each of `rows` rows of `columns` logits, in place; logSumExp[r] = log Σ exp(x[r, :]),
// computed stably (max subtracted), so a cross-entropy is logSumExp[r] - logit[target].
void rnn_softmax_rows_f32(float *x, size_t rows, size_t columns, float *logSumExp);

// Optimizer updates over n parameters, elementwise (PyTorch's formulas; see Optimizer.swift), so any
// split of a flat buffer into ranges gives the same numbers.
// Adam/AdamW: g' = g + l2·p; m = β1·m + (1−β1)·g'; v = β2·v + (1−β2)·g'²;
// p = p·decay − stepSize · m / (√v / rootC2 + eps).
void rnn_adam_f32(float *p, const float *g, float *m, float *v, size_t n, float beta1, float beta2, float stepSize,
                  float rootC2, float eps, float decay, float l2);
// SGD with momentum (first: the buffer starts as the gradient): g' = g + wd·p; buf = first ? g' : μ·buf + g';
// p −= lr · (nesterov ? g' + μ·buf : buf). Without momentum (buf NULL): p −= lr · g'.
void rnn_sgd_f32(float *p, const float *g, float *buf, size_t n, float lr, float wd, float momentum, int nesterov,
                 int first);
// RMSprop: g' = g + wd·p; sq = α·sq + (1−α)·g'²; s = g' / (√sq + eps); with momentum (buf not NULL)
// buf = μ·buf + s, p −= lr·buf; else p −= lr·s.
void rnn_rmsprop_f32(float *p, const float *g, float *sq, float *buf, size_t n, float lr, float wd, float alpha,
                     float eps, float momentum);

#ifndef RNN_KERNELS_GEMM_H
#define RNN_KERNELS_GEMM_H
// Recurrent products with the weight matrix packed once and reused for all T time steps.
//
// B is the k × n right-hand operand: B[kk][j] = w[j * ldw + kk] when `transposed` (h · W_hhᵀ, forward),
// w[kk * ldw + j] otherwise (dG · W_hh, backward). The packed form is column panels of 16:
// packed[(p * k + kk) * 16 + i] = B[kk][16p + i], zero beyond n. Size: rnn_packed_size_f32(k, n) floats.
size_t rnn_packed_size_f32(size_t k, size_t n);
void rnn_pack_f32(const float *w, size_t ldw, int transposed, size_t k, size_t n, float *packed);
// C[m, n] (=|+=) A1 · B1 + A2 · B2 + bias: two terms over packed operands of the same n (k2 = 0: the first alone),
// summed in registers; bias [n] (or NULL) added to every row. The LSTM's gates x_t·W_ihᵀ + h·W_hhᵀ + b.
void rnn_gemm_packed_f32(size_t m, size_t n, size_t k1, const float *a1, size_t lda1, const float *packed1,
                          size_t k2, const float *a2, size_t lda2, const float *packed2, const float *bias,
                          float *c, size_t ldc, int accumulate);
#endif
#endif
