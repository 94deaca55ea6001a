// Scans every heap block as it is freed for a secret's bytes: what a later reader of freed memory (a core
// dump, a heap bug) would see. Include this header in exactly ONE translation unit of a test binary: it
// replaces the global operator new and delete (malloc/free underneath, so sanitizers see matching pairs).
#pragma once

#include <malloc.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string_view>

namespace cardbridge::test::freed {

inline std::atomic<bool> scanning{false};
inline std::atomic<int> hits{0};
inline std::atomic<int> residue{0};
inline const char* needle = nullptr;
inline std::size_t needleSize = 0;
/// Optional: blocks this says are known residue are counted in `residue`, not in `hits`.
inline bool (*isKnownResidue)(const char* block, std::size_t size) = nullptr;

/// Starts counting freed blocks that hold `secret` (which must outlive the scan).
inline void start(std::string_view secret) {
    needle = secret.data();
    needleSize = secret.size();
    hits = 0;
    residue = 0;
    scanning = true;
}
inline void stop() {
    scanning = false;
}

inline void scan(void* block) noexcept {
    if (block == nullptr || !scanning.load(std::memory_order_relaxed) || needleSize == 0) return;
    const std::size_t size = malloc_usable_size(block);
    if (::memmem(block, size, needle, needleSize) == nullptr) return;
    const auto* bytes = static_cast<const char*>(block);
    (isKnownResidue != nullptr && isKnownResidue(bytes, size) ? residue : hits).fetch_add(1);
}

}  // namespace cardbridge::test::freed

void* operator new(std::size_t size) {
    void* block = std::malloc(size == 0 ? 1 : size);
    if (block == nullptr) throw std::bad_alloc();
    return block;
}
void* operator new[](std::size_t size) {
    return ::operator new(size);
}
void operator delete(void* block) noexcept {
    cardbridge::test::freed::scan(block);
    std::free(block);
}
void operator delete[](void* block) noexcept {
    ::operator delete(block);
}
void operator delete(void* block, std::size_t /*size*/) noexcept {
    ::operator delete(block);
}
void operator delete[](void* block, std::size_t /*size*/) noexcept {
    ::operator delete(block);
}
