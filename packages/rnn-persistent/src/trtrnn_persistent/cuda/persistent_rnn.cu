// trtrnn persistent RNN kernel: the recurrence of one stack layer (both directions) for all T steps
// in one launch. Compiled by NVRTC with these macros (trtrnn_persistent.variants sets them):
//   RNN_CELL          0 RELU/TANH (the activation is a run-time flag), 2 LSTM, 3 GRU
//                     (gate order: GATES of trtrnn.enums)
//   RNN_COLS          columns of h each lane multiplies (H <= 32 * RNN_COLS)
//   RNN_WHALF         1: recurrent weights are float16 (widened to fp32 in the loop), 0: float32
//   RNN_MAX_THREADS   __launch_bounds__: the register budget per thread follows from it
//   RNN_SPLIT         1: the batch-1 layout (columns split over warps, see persistent_rnn below);
//                     0: a warp per hidden unit (any batch)
// xproj, states and outputs are float32 (a float16 network casts around the plugin); FLAG_RELU picks
// RELU over TANH at run time.
// No header is included: NVRTC without the CUDA toolkit's include dirs must compile it.
//
// Work split: grid = K * NB CTAs; CTA blockIdx.x serves direction blockIdx.x / NB and the hidden
// units [cta * U, cta * U + U); warp w < U owns unit cta * U + w, every gate of it, so the cell
// update is warp-local. The warp's recurrent weight rows stay in registers for all T steps.
// Every step each CTA needs all of h(t-1): it is exchanged through global memory as 64-bit words
// {tag = step + 1, value bits}, so a reader knows a value is current without any barrier; the words
// are zeroed by the host before each launch. A warp polls until every tag it needs matches and leaves
// the polling loop for the whole warp at once (__all_sync): a per-lane exit hung on Hopper
// (PERSISTENT.md). Every poll is bounded: after timeout_ns of waiting the kernel traps (the launch
// fails with a CUDA error instead of hanging).

#define G_RNN 0
#define G_LSTM 2
#define G_GRU 3

#define FLAG_RELU 2

#if RNN_CELL == G_LSTM
#define NGATES 4
#elif RNN_CELL == G_GRU
#define NGATES 3
#else
#define NGATES 1
#endif

#define FULL 0xffffffffu
// words of h each lane has in flight while gathering (fewer where the weights take the registers)
#if RNN_COLS >= 32
#define UNROLL_GATHER 4
#else
#define UNROLL_GATHER 8
#endif
// batches one warp reduces together (a power of two; gates padded to GP times it is at most 32)
#define GP (NGATES == 1 ? 1 : 4)
#if RNN_COLS >= 32
#define BATCH_GROUP 2
#else
#define BATCH_GROUP 8
#endif

typedef unsigned long long u64;
typedef unsigned short u16;

#if RNN_WHALF
typedef u16 w_t;
#else
typedef float w_t;
#endif

__device__ __forceinline__ float h2f(u16 v) {
    float f;
    asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(v));
    return f;
}

__device__ __forceinline__ u64 ld_relaxed(const u64* p) {
    u64 v;
    asm volatile("ld.relaxed.gpu.global.u64 %0, [%1];" : "=l"(v) : "l"(p) : "memory");
    return v;
}
__device__ __forceinline__ void st_relaxed(u64* p, u64 v) {
    asm volatile("st.relaxed.gpu.global.u64 [%0], %1;" ::"l"(p), "l"(v) : "memory");
}
__device__ __forceinline__ u64 global_ns() {
    u64 t;
    asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
    return t;
}
// __expf is exp2 of a scaled argument (a few ulp); both stay within ~1e-7 absolute of the exact
// values, far inside the fp32 tolerances, at a fraction of expf/tanhf's latency on the critical path.
__device__ __forceinline__ float sigmoid_(float v) { return __fdividef(1.0f, 1.0f + __expf(-v)); }
__device__ __forceinline__ float tanh_(float v) {
    float a = fabsf(v);
    float t = 1.0f - __fdividef(2.0f, __expf(2.0f * a) + 1.0f);  // 1 for large a: exp overflows to inf
    return copysignf(t, v);
}

#if RNN_WHALF
#define WCOLS (RNN_COLS / 2)
typedef unsigned int wreg_t;  // two float16 weights: columns lane + 64k (low) and lane + 64k + 32
#else
#define WCOLS RNN_COLS
typedef float wreg_t;  // column lane + 32k
#endif

// Sums M values per lane over the warp with M - 1 + log2(32 / M) shuffles instead of 5 M: each level
// halves the values a lane holds (it keeps one half, its partner the other, each adds what it gets).
// Afterwards lane L holds the total of value L / (32 / M).
// (one level per template instance, so every index is a compile-time constant and v stays in registers)
template <int M, int CG, int LVL>
__device__ __forceinline__ void halve(float (&v)[M], int lane) {
    if constexpr ((1 << LVL) < M) {
        constexpr int half = M >> (LVL + 1);
        constexpr int off = (CG / 2) >> LVL;
        const bool upper = lane & off;
#pragma unroll
        for (int i = 0; i < half; ++i) {
            float send = upper ? v[i] : v[i + half];
            float keep = upper ? v[i + half] : v[i];
            v[i] = keep + __shfl_xor_sync(FULL, send, off);
        }
        halve<M, CG, LVL + 1>(v, lane);
    }
}

// The same over groups of CG consecutive lanes (CG >= M, both powers of two): lane L holds the
// total over its group of value (L % CG) / (CG / M).
template <int M, int CG = 32>
__device__ __forceinline__ float transpose_reduce(float (&v)[M], int lane) {
    halve<M, CG, 0>(v, lane);
    float r = v[0];
#pragma unroll
    for (int off = CG / 2 / M; off > 0; off >>= 1) r += __shfl_xor_sync(FULL, r, off);
    return r;
}

// The cell: gate pre-activations (x.W + h.R parts, before the recurrent bias) -> h; c is updated
// in place (LSTM). GRU's candidate gate adds Rb inside r * (.), as the semantics say.
__device__ __forceinline__ float cell(const float (&pre)[NGATES], const float (&xb)[NGATES],
                                      const float (&rb)[NGATES], float h_old, float& c, int flags) {
#if RNN_CELL == G_LSTM
    float ig = sigmoid_(xb[0] + pre[0] + rb[0]);
    float fg = sigmoid_(xb[1] + pre[1] + rb[1]);
    float cg = tanh_(xb[2] + pre[2] + rb[2]);
    float og = sigmoid_(xb[3] + pre[3] + rb[3]);
    c = fg * c + ig * cg;
    return og * tanh_(c);
#elif RNN_CELL == G_GRU
    float z = sigmoid_(xb[0] + pre[0] + rb[0]);
    float r_ = sigmoid_(xb[1] + pre[1] + rb[1]);
    float n = tanh_(xb[2] + r_ * (pre[2] + rb[2]));
    return (1.0f - z) * n + z * h_old;
#else
    float p = xb[0] + pre[0] + rb[0];
    return (flags & FLAG_RELU) ? (p > 0.0f ? p : 0.0f) : tanh_(p);
#endif
}

// Waits until every word of `v` (the lane's J exchange words at src[idx[j]], idx < 0: none) carries
// `tag`, polling only the words not yet current; the whole warp leaves the loop at once
// (__all_sync: a per-lane exit hung on Hopper, PERSISTENT.md). Traps after timeout_ns.
template <int J>
__device__ __forceinline__ void wait_words(u64 (&v)[J], const u64* src, const int (&idx)[J], u64 tag,
                                           u64 timeout_ns) {
#pragma unroll
    for (int j = 0; j < J; ++j) v[j] = 0;  // tag 0: not yet read
    u64 waited_since = 0;
    unsigned int polls = 0;
    while (true) {
        bool ok = true;
#pragma unroll
        for (int j = 0; j < J; ++j) {
            if ((v[j] >> 32) != tag) v[j] = idx[j] >= 0 ? ld_relaxed(src + idx[j]) : (tag << 32);
        }
#pragma unroll
        for (int j = 0; j < J; ++j) ok = ok && (v[j] >> 32) == tag;
        if (__all_sync(FULL, ok)) break;
        if ((++polls & 63) == 0) {  // the clock is read rarely: it must not slow the poll
            u64 now = global_ns();
            if (waited_since == 0) {
                waited_since = now;
            } else if (now - waited_since > timeout_ns) {
                __trap();  // a peer never published: fail the launch, never hang
            }
        }
    }
}

// One step of this warp's unit for every sequence, BU sequences at a time: the mat-vec R.h over the
// lane's columns, one transposed reduction for all gates x BU sequences, then lane j < BU finishes
// sequence b0 + j (gates, cell, output, publication of h).
template <int BU>
__device__ __forceinline__ void step_units(
    const wreg_t (&w)[NGATES][WCOLS], const float (&rb)[NGATES], const float (&xg)[NGATES],
    const float* hcur, int lane, int warp, int N, int T, int H, int K, int d, int u, int s, int flags,
    const int* lens, float* st_h, float* st_c, const float* __restrict__ xproj, float* __restrict__ y,
    u64* dst, bool publish) {
    constexpr int M = GP * BU;
    constexpr int SPREAD = 32 / M;
    const size_t gstride = (size_t)NGATES * H;
    const size_t tstride = (size_t)K * gstride;
    const int KH = K * H;
    // one sequence: two partial sums per gate (even and odd columns) halve the dependent FMA chain
    constexpr int SPLIT = BU == 1 ? 2 : 1;
    for (int b0 = 0; b0 < N; b0 += BU) {
        float v[M], v2[M];
#pragma unroll
        for (int i = 0; i < M; ++i) v[i] = v2[i] = 0.0f;
#pragma unroll
        for (int bb = 0; bb < BU; ++bb) {
            if (b0 + bb < N) {  // the same for the whole warp
                const float* hb = hcur + (b0 + bb) * H;
#if RNN_WHALF
#pragma unroll
                for (int k = 0; k < WCOLS; ++k) {
                    float ha = hb[lane + 64 * k], hc = hb[lane + 64 * k + 32];
#pragma unroll
                    for (int g = 0; g < NGATES; ++g) {
                        const int i = g * BU + bb;
                        if (SPLIT == 2 && (k & 1)) {
                            v2[i] = fmaf(h2f((u16)(w[g][k] & 0xffffu)), ha, v2[i]);
                            v2[i] = fmaf(h2f((u16)(w[g][k] >> 16)), hc, v2[i]);
                        } else {
                            v[i] = fmaf(h2f((u16)(w[g][k] & 0xffffu)), ha, v[i]);
                            v[i] = fmaf(h2f((u16)(w[g][k] >> 16)), hc, v[i]);
                        }
                    }
                }
#else
#pragma unroll
                for (int k = 0; k < WCOLS; ++k) {
                    float hv = hb[lane + 32 * k];
#pragma unroll
                    for (int g = 0; g < NGATES; ++g) {
                        const int i = g * BU + bb;
                        if (SPLIT == 2 && (k & 1))
                            v2[i] = fmaf(w[g][k], hv, v2[i]);
                        else
                            v[i] = fmaf(w[g][k], hv, v[i]);
                    }
                }
#endif
            }
        }
        if (SPLIT == 2) {
#pragma unroll
            for (int i = 0; i < M; ++i) v[i] += v2[i];
        }
        const float r = transpose_reduce<M>(v, lane);
        const int mb = lane & (BU - 1);  // the sequence of this group that this lane finishes
        float pre[NGATES], xb[NGATES];
#pragma unroll
        for (int g = 0; g < NGATES; ++g) {
            pre[g] = __shfl_sync(FULL, r, (g * BU + mb) * SPREAD);
            xb[g] = __shfl_sync(FULL, xg[g], (b0 + mb) & 31);  // prefetched by lane b (b < 32)
        }
        const int b = b0 + lane;
        if (lane >= BU || b >= N) continue;
        const bool act = s < lens[b];
        const int t = d == 0 ? s : lens[b] - 1 - s;
        if (b >= 32 && act) {  // beyond the prefetching lanes
#pragma unroll
            for (int g = 0; g < NGATES; ++g) xb[g] = xproj[((size_t)b * T + t) * tstride + d * gstride + g * H + u];
        }
        float h_old = st_h[warp * N + b];
        float h_new = h_old;
        if (act) {
            float c = st_c[warp * N + b];
            h_new = cell(pre, xb, rb, h_old, c, flags);
#if RNN_CELL == G_LSTM
            st_c[warp * N + b] = c;
#endif
            st_h[warp * N + b] = h_new;
            y[((size_t)b * T + t) * KH + d * H + u] = h_new;
        } else {
            y[((size_t)b * T + s) * KH + d * H + u] = 0.0f;
        }
        if (publish) st_relaxed(dst + (size_t)b * H + u, ((u64)(s + 1) << 32) | __float_as_uint(h_new));
    }
}

#ifndef RNN_SPLIT
#define RNN_SPLIT 0
#endif

#if !RNN_SPLIT
extern "C" __global__ void __launch_bounds__(RNN_MAX_THREADS, 1) persistent_rnn(
    const float* __restrict__ xproj,   // [N, T, K, G, H]: W.x + Wb of every step, gate and direction
    const w_t* __restrict__ weights,  // [K, G, H, H]: R per direction and gate, row = unit
    const float* __restrict__ rbias,  // [K, G, H]: Rb
    const int* __restrict__ lengths,  // [N] or null (all T)
    const float* __restrict__ h0,      // [N, K, H] or null (zeros)
    const float* __restrict__ c0,      // [N, K, H] or null (zeros; LSTM only)
    float* __restrict__ y,             // [N, T, K*H]
    float* __restrict__ hn,            // [N, K, H]
    float* __restrict__ cn,            // [N, K, H] or null
    u64* exchange,                    // [2, K, N, H], zeroed before the launch
    int N, int T, int H, int K, int units, int flags, u64 timeout_ns, int stall_cta) {
    extern __shared__ float smem[];
    const int HP = 32 * RNN_COLS;
    const int lane = threadIdx.x & 31;
    const int warp = threadIdx.x >> 5;
    const int nwarps = blockDim.x >> 5;
    const int nb = gridDim.x / K;
    const int d = blockIdx.x / nb;
    const int u = (blockIdx.x % nb) * units + warp;
    const bool computes = warp < units && u < H;

    // h(t-1), gathered: two buffers of [N][H] + HP zeros. Batch b's row starts at b*H; a lane's
    // columns past H read the next row (or the zeros), which multiply zero weights: no padding per row
    const int HBUF = N * H + HP;
    float* hbuf = smem;                       // [2][HBUF]
    float* st_h = hbuf + 2 * HBUF;            // [units][N]: this CTA's h
    float* st_c = st_h + units * N;           // [units][N]: this CTA's c
    int* lens = (int*)(st_c + units * N);     // [N]

    for (int i = threadIdx.x; i < 2 * HBUF; i += blockDim.x) hbuf[i] = 0.0f;
    for (int b = threadIdx.x; b < N; b += blockDim.x) {
        int len = lengths ? lengths[b] : T;
        lens[b] = len < 0 ? 0 : (len > T ? T : len);
    }

    // this warp's rows of R, in registers for the whole launch
#if RNN_WHALF
    wreg_t w[NGATES][WCOLS];
#pragma unroll
    for (int g = 0; g < NGATES; ++g)
#pragma unroll
        for (int k = 0; k < RNN_COLS / 2; ++k) {
            int c0_ = lane + 64 * k, c1_ = c0_ + 32;
            const w_t* row = weights + ((size_t)(d * NGATES + g) * H + u) * H;
            unsigned int lo = (computes && c0_ < H) ? row[c0_] : 0u;
            unsigned int hi = (computes && c1_ < H) ? row[c1_] : 0u;
            w[g][k] = lo | (hi << 16);
        }
#else
    wreg_t w[NGATES][WCOLS];
#pragma unroll
    for (int g = 0; g < NGATES; ++g)
#pragma unroll
        for (int k = 0; k < RNN_COLS; ++k) {
            int c = lane + 32 * k;
            w[g][k] = (computes && c < H) ? weights[((size_t)(d * NGATES + g) * H + u) * H + c] : 0.0f;
        }
#endif
    float rb[NGATES];
#pragma unroll
    for (int g = 0; g < NGATES; ++g) rb[g] = computes ? rbias[(d * NGATES + g) * H + u] : 0.0f;

    if (computes) {
        for (int b = lane; b < N; b += 32) {
            st_h[warp * N + b] = h0 ? h0[((size_t)b * K + d) * H + u] : 0.0f;
            st_c[warp * N + b] = c0 ? c0[((size_t)b * K + d) * H + u] : 0.0f;
        }
    }
    __syncthreads();
    int maxlen = 0;
    for (int b = 0; b < N; ++b) maxlen = lens[b] > maxlen ? lens[b] : maxlen;

    const size_t gstride = (size_t)NGATES * H;         // one (n, t, direction) of xproj
    const size_t tstride = (size_t)K * gstride;        // one step of xproj
    const int KH = K * H;
    const int NH = N * H;

    for (int s = 0; s < T; ++s) {
        if (s >= maxlen) {  // every sequence has ended: zeros only, no exchange
            if (computes)
                for (int b = lane; b < N; b += 32) y[((size_t)b * T + s) * KH + d * H + u] = 0.0f;
            continue;
        }
        float* hcur = hbuf + (s & 1) * HBUF;

        // prefetch this step's input projection for batch `lane` (the first group of 32)
        float xg[NGATES];
        {
            int b = lane;
            bool act = computes && b < N && s < lens[b];
            int t = d == 0 ? s : (act ? lens[b] - 1 - s : 0);
#pragma unroll
            for (int g = 0; g < NGATES; ++g)
                xg[g] = act ? xproj[((size_t)b * T + t) * tstride + d * gstride + g * H + u] : 0.0f;
        }

        // gather h(s-1) of this direction into shared memory
        if (s == 0) {
            for (int i = threadIdx.x; i < NH; i += blockDim.x) {
                int b = i / H, c = i - b * H;
                hcur[i] = h0 ? h0[((size_t)b * K + d) * H + c] : 0.0f;
            }
        } else {
            const u64* src = exchange + ((size_t)((s - 1) & 1) * K + d) * NH;
            const u64 tag = (u64)s;
            // word i = base + (j * nwarps + warp) * 32 + lane: every warp takes part even when NH is small
            for (int base = 0; base < NH; base += nwarps * 32 * UNROLL_GATHER) {
                // re-read only the words whose tag is not yet current: polling traffic through L2
                // shrinks to what is still missing (every CTA polls every word of h)
                u64 v[UNROLL_GATHER];
                int idx[UNROLL_GATHER];
#pragma unroll
                for (int j = 0; j < UNROLL_GATHER; ++j) {
                    int i = base + (j * nwarps + warp) * 32 + lane;
                    idx[j] = i < NH ? i : -1;
                }
                wait_words<UNROLL_GATHER>(v, src, idx, tag, timeout_ns);
#pragma unroll
                for (int j = 0; j < UNROLL_GATHER; ++j) {
                    int i = base + (j * nwarps + warp) * 32 + lane;
                    if (i < NH) hcur[i] = __uint_as_float((unsigned int)v[j]);
                }
            }
        }
        __syncthreads();
        if (!computes) continue;

#if RNN_WHALF
        // re-define the packed weights every step so the fp16->fp32 widening cannot be hoisted out of
        // the time loop (which would double the registers the weights take)
#pragma unroll
        for (int g = 0; g < NGATES; ++g)
#pragma unroll
            for (int k = 0; k < RNN_COLS / 2; ++k) asm volatile("" : "+r"(w[g][k]));
#endif
        u64* dst = exchange + ((size_t)(s & 1) * K + d) * NH;
        const bool publish = !(stall_cta == (int)blockIdx.x && s == 1);  // the bounded-wait test's fault
        if (N == 1)
            step_units<1>(w, rb, xg, hcur, lane, warp, N, T, H, K, d, u, s, flags, lens, st_h, st_c, xproj, y,
                          dst, publish);
        else
            step_units<BATCH_GROUP>(w, rb, xg, hcur, lane, warp, N, T, H, K, d, u, s, flags, lens, st_h, st_c,
                                    xproj, y, dst, publish);
    }

    __syncwarp();  // st_h/st_c were written by other lanes of this warp
    if (computes) {
        for (int b = lane; b < N; b += 32) {
            hn[((size_t)b * K + d) * H + u] = st_h[warp * N + b];
            if (cn) cn[((size_t)b * K + d) * H + u] = st_c[warp * N + b];
        }
    }
}
#else  // RNN_SPLIT: batch 1, columns split over warps

// A CTA serves SU = RNN_COLS / 4 hidden units with SU warps. Warp w multiplies its 128 columns
// c = 128 w + SCG k + cg (k < RNN_COLS / 2) of every row (unit, gate) of the CTA; its lane
// L = SCG rg + cg holds the weights of units 2 rg and 2 rg + 1 of the CTA (every gate) at those
// columns, in registers for all T steps. Each lane polls 4 words of the warp's h(t-1) columns
// straight from the exchange into registers and the warp passes them round with shuffles (no
// shared-memory copy of h, no barrier before the mat-vec; every CTA still reads all of h from L2
// once a step); each lane sums over its columns, the warp reduces over its SCG column groups, the
// warps' partial sums meet in shared memory (one barrier a step) and warp w's lane 0 finishes unit
// w of the CTA. The unit layout reads all of h from shared memory in every warp.
#define SU (RNN_COLS / 4)
#define SCG (64 / SU)
#define SCPL (RNN_COLS / 2)
#define SLD 4                          // h words a lane loads: 128 columns of a warp / 32 lanes
#define SV (2 * NGATES)                // values a lane sums: 2 units x gates
#define SVP (NGATES == 1 ? 2 : 8)      // ... padded to a power of two for the reduction
#define SROWS (SU * NGATES)            // rows of the CTA: unit-major, gate-minor

extern "C" __global__ void __launch_bounds__(RNN_MAX_THREADS, 1) persistent_rnn(
    const float* __restrict__ xproj,   // [1, T, K, G, H]
    const w_t* __restrict__ weights,  // [K, G, H, H]
    const float* __restrict__ rbias,  // [K, G, H]
    const int* __restrict__ lengths,  // [1] or null
    const float* __restrict__ h0,      // [1, K, H] or null
    const float* __restrict__ c0,      // [1, K, H] or null
    float* __restrict__ y,             // [1, T, K*H]
    float* __restrict__ hn,            // [1, K, H]
    float* __restrict__ cn,            // [1, K, H] or null
    u64* exchange,                    // [2, K, 1, H], zeroed before the launch
    int N, int T, int H, int K, int units, int flags, u64 timeout_ns, int stall_cta) {
    __shared__ float part[2][SU][SROWS];  // the warps' partial sums, double-buffered by step
    const int lane = threadIdx.x & 31;
    const int warp = threadIdx.x >> 5;
    const int rg = lane / SCG, cg = lane % SCG;
    const int nb = gridDim.x / K;
    const int d = blockIdx.x / nb;
    const int base_unit = (blockIdx.x % nb) * SU;
    const int u = base_unit + warp;  // the unit this warp finishes
    const bool computes = u < H;

    int col[SCPL];  // the columns this lane multiplies (-1: beyond H)
#pragma unroll
    for (int k = 0; k < SCPL; ++k) {
        int c = 128 * warp + SCG * k + cg;
        col[k] = c < H ? c : -1;
    }
    int word[SLD];  // the h words this lane loads for the warp
#pragma unroll
    for (int q = 0; q < SLD; ++q) {
        int c = 128 * warp + 32 * q + lane;
        word[q] = c < H ? c : -1;
    }
    float w[2][NGATES][SCPL];
#pragma unroll
    for (int uu = 0; uu < 2; ++uu) {
        const int row_unit = base_unit + 2 * rg + uu;
#pragma unroll
        for (int g = 0; g < NGATES; ++g)
#pragma unroll
            for (int k = 0; k < SCPL; ++k)
                w[uu][g][k] = (row_unit < H && col[k] >= 0)
                                  ? weights[((size_t)(d * NGATES + g) * H + row_unit) * H + col[k]]
                                  : 0.0f;
    }
    float rb[NGATES];
#pragma unroll
    for (int g = 0; g < NGATES; ++g) rb[g] = computes ? rbias[(d * NGATES + g) * H + u] : 0.0f;
    float h_state = computes && h0 ? h0[d * H + u] : 0.0f;
    float c_state = computes && c0 ? c0[d * H + u] : 0.0f;
    int len = lengths ? lengths[0] : T;
    len = len < 0 ? 0 : (len > T ? T : len);
    const size_t tstride = (size_t)K * NGATES * H;
    const int KH = K * H;

    for (int s = 0; s < T; ++s) {
        if (s >= len) {  // the sequence has ended: zeros only, no exchange
            if (computes && lane == 0) y[(size_t)s * KH + d * H + u] = 0.0f;
            continue;
        }
        const int t = d == 0 ? s : len - 1 - s;
        float xb[NGATES];
#pragma unroll
        for (int g = 0; g < NGATES; ++g)
            xb[g] = (computes && lane == 0) ? xproj[(size_t)t * tstride + (d * NGATES + g) * H + u] : 0.0f;

        float hw[SLD];
        if (s == 0) {
#pragma unroll
            for (int q = 0; q < SLD; ++q) hw[q] = (h0 && word[q] >= 0) ? h0[d * H + word[q]] : 0.0f;
        } else {
            u64 v[SLD];
            wait_words<SLD>(v, exchange + ((size_t)((s - 1) & 1) * K + d) * H, word, (u64)s, timeout_ns);
#pragma unroll
            for (int q = 0; q < SLD; ++q) hw[q] = __uint_as_float((unsigned int)v[q]);
        }
        // column SCG k + cg of the warp was loaded by lane (SCG k + cg) % 32 as its word (SCG k) / 32
        float hv[SCPL];
#pragma unroll
        for (int k = 0; k < SCPL; ++k)
            hv[k] = SCG == 32 ? hw[k] : __shfl_sync(FULL, hw[SCG * k / 32], (SCG * k) % 32 + cg);

        float acc[SVP];
#pragma unroll
        for (int i = 0; i < SVP; ++i) acc[i] = 0.0f;
#pragma unroll
        for (int k = 0; k < SCPL; ++k)
#pragma unroll
            for (int uu = 0; uu < 2; ++uu)
#pragma unroll
                for (int g = 0; g < NGATES; ++g) acc[uu * NGATES + g] = fmaf(w[uu][g][k], hv[k], acc[uu * NGATES + g]);
        const float r = transpose_reduce<SVP, SCG>(acc, lane);
        const int m = cg / (SCG / SVP);  // the value this lane now holds the warp's total of
        if (cg % (SCG / SVP) == 0 && m < SV) part[s & 1][warp][rg * SV + m] = r;
        __syncthreads();

        // warp `warp` finishes its unit: lane g sums gate g over the warps, lane 0 does the cell
        float tot = 0.0f;
        if (lane < NGATES) {
#pragma unroll
            for (int w2 = 0; w2 < SU; ++w2) tot += part[s & 1][w2][warp * NGATES + lane];
        }
        float pre[NGATES];
#pragma unroll
        for (int g = 0; g < NGATES; ++g) pre[g] = __shfl_sync(FULL, tot, g);
        if (computes && lane == 0) {
            h_state = cell(pre, xb, rb, h_state, c_state, flags);
            y[(size_t)t * KH + d * H + u] = h_state;
            if (!(stall_cta == (int)blockIdx.x && s == 1))  // the bounded-wait test's fault
                st_relaxed(exchange + ((size_t)(s & 1) * K + d) * H + u,
                           ((u64)(s + 1) << 32) | __float_as_uint(h_state));
        }
    }
    if (computes && lane == 0) {
        hn[d * H + u] = h_state;
        if (cn) cn[d * H + u] = c_state;
    }
}
#endif
