// bench/hnswlib_side.cpp — hnswlib 0.6.2 (Debian libhnswlib-dev) behind a
// tiny C interface, for bench_vector's side-by-side runs. Benchmark only:
// never linked into the product. Compiled with -O3 -march=native so hnswlib
// gets its own best SIMD paths (it picks them at compile time).
#include <hnswlib/hnswlib.h>

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

extern "C" {
struct hl_index {
    hnswlib::InnerProductSpace      *space;
    hnswlib::HierarchicalNSW<float> *alg;
};

// Build over n L2-normalised rows (inner-product space: distance 1 - dot,
// the same as our cosine on unit vectors) with `threads` adding in parallel.
hl_index *hl_build(const float *data, size_t n, size_t dim, int m, int efc, int threads) {
    hl_index *h = new hl_index;
    h->space = new hnswlib::InnerProductSpace(dim);
    h->alg = new hnswlib::HierarchicalNSW<float>(h->space, n, (size_t)m, (size_t)efc, 100);
    if (n == 0) return h;
    h->alg->addPoint(data, 0);
    std::atomic<size_t> next(1);
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; t++)
        ts.emplace_back([&]() {
            for (;;) {
                size_t i = next.fetch_add(1);
                if (i >= n) break;
                h->alg->addPoint(data + i * dim, i);
            }
        });
    for (auto &t : ts) t.join();
    return h;
}

int hl_search(hl_index *h, const float *q, int k, int ef, uint32_t *labels) {
    h->alg->setEf((size_t)ef);
    auto pq = h->alg->searchKnn(q, (size_t)k);
    int n = (int)pq.size();
    for (int i = n - 1; i >= 0; i--) {
        labels[i] = (uint32_t)pq.top().second;
        pq.pop();
    }
    return n;
}

size_t hl_memory(hl_index *h) {
    size_t b = h->alg->cur_element_count * h->alg->size_data_per_element_;
    for (size_t i = 0; i < h->alg->cur_element_count; i++)
        if (h->alg->element_levels_[i] > 0) b += h->alg->size_links_per_element_ * h->alg->element_levels_[i];
    return b;
}

void hl_free(hl_index *h) {
    delete h->alg;
    delete h->space;
    delete h;
}
}
