/* vector/kernels.c — the distance kernels and their run-time dispatch.
 *
 * Every index spends its time here, so each kernel has three bodies: plain
 * C (the reference and the fallback), AVX2+FMA, and AVX-512 (F+BW). The
 * SIMD bodies are compiled per function with __attribute__((target)) so the
 * binary still runs on a CPU without them; a constructor picks the best
 * body the CPU reports (__builtin_cpu_supports) into lh_vk before main().
 *
 * The f32 kernels keep four independent accumulators so the FMA latency
 * is hidden and a long scan is limited by memory bandwidth, not by a
 * dependency chain. The int8 dot is for SQ8 codes only ([-127, 127]):
 * maddubs on |a| and b with a's sign cannot saturate in that range.
 */
#include "vector/vector_internal.h"

#include <immintrin.h>

/* ---- scalar ------------------------------------------------------------- */

static float dot_scalar(const float *a, const float *b, size_t d) {
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t i = 0;
    for (; i + 4 <= d; i += 4) {
        s0 += a[i] * b[i];
        s1 += a[i + 1] * b[i + 1];
        s2 += a[i + 2] * b[i + 2];
        s3 += a[i + 3] * b[i + 3];
    }
    for (; i < d; i++) s0 += a[i] * b[i];
    return (s0 + s1) + (s2 + s3);
}

static float l2sq_scalar(const float *a, const float *b, size_t d) {
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t i = 0;
    for (; i + 4 <= d; i += 4) {
        float d0 = a[i] - b[i], d1 = a[i + 1] - b[i + 1], d2 = a[i + 2] - b[i + 2], d3 = a[i + 3] - b[i + 3];
        s0 += d0 * d0;
        s1 += d1 * d1;
        s2 += d2 * d2;
        s3 += d3 * d3;
    }
    for (; i < d; i++) {
        float t = a[i] - b[i];
        s0 += t * t;
    }
    return (s0 + s1) + (s2 + s3);
}

/* The SQ8 code dot (codes in [-127, 127]); plain C is exact for any int8. */
static int32_t dot_i8s_scalar(const int8_t *a, const int8_t *b, size_t d) {
    int32_t s = 0;
    for (size_t i = 0; i < d; i++) s += (int32_t)a[i] * (int32_t)b[i];
    return s;
}

/* ---- AVX2 + FMA --------------------------------------------------------- */

#define AVX2 __attribute__((target("avx2,fma")))

AVX2 static inline float hsum256(__m256 v) {
    __m128 lo = _mm256_castps256_ps128(v), hi = _mm256_extractf128_ps(v, 1);
    lo = _mm_add_ps(lo, hi);
    lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
    lo = _mm_add_ss(lo, _mm_movehdup_ps(lo));
    return _mm_cvtss_f32(lo);
}

AVX2 static float dot_avx2(const float *a, const float *b, size_t d) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(),
           s3 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= d; i += 32) {
        s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
        s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
        s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), s2);
        s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), s3);
    }
    for (; i + 8 <= d; i += 8) s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
    float s = hsum256(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
    for (; i < d; i++) s += a[i] * b[i];
    return s;
}

AVX2 static float l2sq_avx2(const float *a, const float *b, size_t d) {
    __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps(), s2 = _mm256_setzero_ps(),
           s3 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= d; i += 32) {
        __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
        __m256 d1 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8));
        __m256 d2 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16));
        __m256 d3 = _mm256_sub_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24));
        s0 = _mm256_fmadd_ps(d0, d0, s0);
        s1 = _mm256_fmadd_ps(d1, d1, s1);
        s2 = _mm256_fmadd_ps(d2, d2, s2);
        s3 = _mm256_fmadd_ps(d3, d3, s3);
    }
    for (; i + 8 <= d; i += 8) {
        __m256 d0 = _mm256_sub_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
        s0 = _mm256_fmadd_ps(d0, d0, s0);
    }
    float s = hsum256(_mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
    for (; i < d; i++) {
        float t = a[i] - b[i];
        s += t * t;
    }
    return s;
}

/* Codes in [-127, 127] only (what SQ8 produces): |a| as unsigned bytes
 * times b with a's sign moved onto it, pairwise-summed by maddubs into
 * int16 (at most 2 * 127 * 127 = 32258, no saturation), then to int32.
 * Half the instructions of the widening body. */
AVX2 static int32_t dot_i8s_avx2(const int8_t *a, const int8_t *b, size_t d) {
    const __m256i ones = _mm256_set1_epi16(1);
    __m256i s0 = _mm256_setzero_si256(), s1 = _mm256_setzero_si256();
    size_t i = 0;
    for (; i + 64 <= d; i += 64) {
        __m256i a0 = _mm256_loadu_si256((const __m256i *)(a + i)), b0 = _mm256_loadu_si256((const __m256i *)(b + i));
        __m256i a1 = _mm256_loadu_si256((const __m256i *)(a + i + 32));
        __m256i b1 = _mm256_loadu_si256((const __m256i *)(b + i + 32));
        __m256i p0 = _mm256_maddubs_epi16(_mm256_abs_epi8(a0), _mm256_sign_epi8(b0, a0));
        __m256i p1 = _mm256_maddubs_epi16(_mm256_abs_epi8(a1), _mm256_sign_epi8(b1, a1));
        s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(p0, ones));
        s1 = _mm256_add_epi32(s1, _mm256_madd_epi16(p1, ones));
    }
    for (; i + 32 <= d; i += 32) {
        __m256i a0 = _mm256_loadu_si256((const __m256i *)(a + i)), b0 = _mm256_loadu_si256((const __m256i *)(b + i));
        __m256i p0 = _mm256_maddubs_epi16(_mm256_abs_epi8(a0), _mm256_sign_epi8(b0, a0));
        s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(p0, ones));
    }
    __m256i s = _mm256_add_epi32(s0, s1);
    __m128i x = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
    x = _mm_add_epi32(x, _mm_shuffle_epi32(x, 0x4e));
    x = _mm_add_epi32(x, _mm_shuffle_epi32(x, 0xb1));
    int32_t r = _mm_cvtsi128_si32(x);
    for (; i < d; i++) r += (int32_t)a[i] * (int32_t)b[i];
    return r;
}

/* ---- AVX-512 F + BW ----------------------------------------------------- */

#define AVX512 __attribute__((target("avx512f,avx512bw")))

AVX512 static float dot_avx512(const float *a, const float *b, size_t d) {
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= d; i += 32) {
        s0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), s0);
        s1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), s1);
    }
    if (i < d) { /* masked tail: up to 31 left */
        for (; i < d; i += 16) {
            size_t left = d - i;
            __mmask16 k = left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1);
            s0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(k, a + i), _mm512_maskz_loadu_ps(k, b + i), s0);
        }
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
}

AVX512 static float l2sq_avx512(const float *a, const float *b, size_t d) {
    __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
    size_t i = 0;
    for (; i + 32 <= d; i += 32) {
        __m512 d0 = _mm512_sub_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));
        __m512 d1 = _mm512_sub_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16));
        s0 = _mm512_fmadd_ps(d0, d0, s0);
        s1 = _mm512_fmadd_ps(d1, d1, s1);
    }
    for (; i < d; i += 16) {
        size_t left = d - i;
        __mmask16 k = left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1);
        __m512 d0 = _mm512_sub_ps(_mm512_maskz_loadu_ps(k, a + i), _mm512_maskz_loadu_ps(k, b + i));
        s0 = _mm512_fmadd_ps(d0, d0, s0);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
}

AVX512 static int32_t dot_i8s_avx512(const int8_t *a, const int8_t *b, size_t d) {
    const __m512i ones = _mm512_set1_epi16(1), zero = _mm512_setzero_si512();
    __m512i s0 = _mm512_setzero_si512();
    size_t i = 0;
    for (; i + 64 <= d; i += 64) {
        __m512i a0 = _mm512_loadu_si512(a + i), b0 = _mm512_loadu_si512(b + i);
        __mmask64 neg = _mm512_movepi8_mask(a0);
        __m512i sb = _mm512_mask_sub_epi8(b0, neg, zero, b0); /* b with a's sign */
        __m512i p0 = _mm512_maddubs_epi16(_mm512_abs_epi8(a0), sb);
        s0 = _mm512_add_epi32(s0, _mm512_madd_epi16(p0, ones));
    }
    int32_t r = _mm512_reduce_add_epi32(s0);
    for (; i < d; i++) r += (int32_t)a[i] * (int32_t)b[i];
    return r;
}

/* ---- dispatch ----------------------------------------------------------- */

static const lh_vkern k_scalar = {dot_scalar, l2sq_scalar, dot_i8s_scalar};
static const lh_vkern k_avx2 = {dot_avx2, l2sq_avx2, dot_i8s_avx2};
static const lh_vkern k_avx512 = {dot_avx512, l2sq_avx512, dot_i8s_avx512};

lh_vkern lh_vk = {dot_scalar, l2sq_scalar, dot_i8s_scalar};
static const char *g_isa = "scalar";

bool lh_vector_isa_supported(lh_isa isa) {
    __builtin_cpu_init();
    switch (isa) {
    case LH_ISA_AUTO:
    case LH_ISA_SCALAR: return true;
    case LH_ISA_AVX2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case LH_ISA_AVX512: return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
    }
    return false;
}

int lh_vector_force_isa(lh_isa isa, lh_err *err) {
    if (isa == LH_ISA_AUTO)
        isa = lh_vector_isa_supported(LH_ISA_AVX512) ? LH_ISA_AVX512
            : lh_vector_isa_supported(LH_ISA_AVX2)   ? LH_ISA_AVX2
                                                     : LH_ISA_SCALAR;
    if (!lh_vector_isa_supported(isa))
        return lh_err_set(err, LH_EINVAL, "isa_unsupported", "this CPU cannot run the %s kernels",
                          isa == LH_ISA_AVX512 ? "avx512" : "avx2");
    switch (isa) {
    case LH_ISA_AVX512: lh_vk = k_avx512; g_isa = "avx512"; break;
    case LH_ISA_AVX2: lh_vk = k_avx2; g_isa = "avx2"; break;
    default: lh_vk = k_scalar; g_isa = "scalar"; break;
    }
    return 0;
}

const char *lh_vector_isa(void) { return g_isa; }

__attribute__((constructor)) static void kernels_init(void) { lh_vector_force_isa(LH_ISA_AUTO, NULL); }

float lh_vec_dot(const float *a, const float *b, size_t dim) { return lh_vk.dot(a, b, dim); }
float lh_vec_l2sq(const float *a, const float *b, size_t dim) { return lh_vk.l2sq(a, b, dim); }
int32_t lh_vec_dot_i8_sq8(const int8_t *a, const int8_t *b, size_t dim) { return lh_vk.dot_i8s(a, b, dim); }
