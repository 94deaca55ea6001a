#include "cardbridge/common/secret.hpp"

#include <openssl/crypto.h>
#include <sys/mman.h>
#include <unistd.h>

#include <mutex>
#include <new>
#include <vector>

namespace cardbridge {

namespace detail {

namespace {
std::size_t pageRounded(std::size_t size) {
    static const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    const std::size_t wanted = size == 0 ? 1 : size;
    return (wanted + page - 1) / page * page;
}

// Single pages freed by Secrets, wiped and kept (still MADV_DONTDUMP) for the next one: without this
// every Secret would cost an mmap, a madvise, a page fault and a munmap (~30 us measured), with it a lock.
constexpr std::size_t MAX_SPARE_PAGES = 64;  // 256 KiB at most kept back
std::mutex spareMutex;
std::vector<void*>& sparePages() {
    static auto* spare = [] {  // never destroyed: Secrets may die after main()
        auto* list = new std::vector<void*>();
        list->reserve(MAX_SPARE_PAGES);  // so freeing never allocates
        return list;
    }();
    return *spare;
}

}  // namespace

// madvise works on whole pages, so each buffer gets pages of its own: marking part of a heap page would
// drop its neighbours from a dump too, and leave secret bytes on a page shared with ordinary data.
void* allocateSecretPages(std::size_t size) {
    const std::size_t length = pageRounded(size);
    if (length == pageRounded(1)) {
        std::lock_guard lock(spareMutex);
        auto& spare = sparePages();
        if (!spare.empty()) {
            void* page = spare.back();
            spare.pop_back();
            return page;
        }
    }
    void* pages = ::mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (pages == MAP_FAILED) throw std::bad_alloc();
    // Best effort: a kernel without MADV_DONTDUMP still gets RLIMIT_CORE 0 and a non-dumpable process.
    (void)::madvise(pages, length, MADV_DONTDUMP);
    return pages;
}

void freeSecretPages(void* pages, std::size_t size) noexcept {
    if (pages == nullptr) return;
    const std::size_t length = pageRounded(size);
    OPENSSL_cleanse(pages, length);
    if (length == pageRounded(1)) {
        std::lock_guard lock(spareMutex);
        auto& spare = sparePages();
        if (spare.size() < MAX_SPARE_PAGES) {
            try {
                spare.push_back(pages);
                return;
            } catch (...) {  // no memory for the list: unmap instead
            }
        }
    }
    ::munmap(pages, length);
}

}  // namespace detail

void wipe(void* data, std::size_t size) noexcept {
    if (data != nullptr && size > 0) OPENSSL_cleanse(data, size);
}

void wipe(std::vector<std::uint8_t>& bytes) noexcept {
    // Wipe the whole capacity: earlier contents may live beyond size().
    bytes.resize(bytes.capacity());
    wipe(bytes.data(), bytes.size());
    bytes.clear();
}

void wipe(std::string& text) noexcept {
    // Wipe the whole capacity: a longer earlier value may live beyond size().
    text.resize(text.capacity());
    wipe(text.data(), text.size());
    text.clear();
}

Secret::Secret(std::string_view text) : bytes_(text.begin(), text.end()) {}

Secret::Secret(std::span<const std::uint8_t> bytes) : bytes_(bytes.begin(), bytes.end()) {}

Secret::Secret(const Secret& other) : bytes_(other.bytes_) {}

// A moved-from vector hands over its buffer, so nothing is left behind to wipe.
Secret::Secret(Secret&& other) noexcept : bytes_(std::move(other.bytes_)) {
    other.bytes_.clear();
}

Secret& Secret::operator=(const Secret& other) {
    if (this != &other) {
        clear();
        bytes_ = other.bytes_;
    }
    return *this;
}

Secret& Secret::operator=(Secret&& other) noexcept {
    if (this != &other) {
        clear();
        bytes_ = std::move(other.bytes_);
        other.bytes_.clear();
    }
    return *this;
}

Secret::~Secret() {
    clear();
}

std::string_view Secret::view() const noexcept {
    return {reinterpret_cast<const char*>(bytes_.data()), bytes_.size()};
}

bool Secret::equals(const Secret& other) const noexcept {
    if (bytes_.size() != other.bytes_.size()) return false;
    if (bytes_.empty()) return true;
    return CRYPTO_memcmp(bytes_.data(), other.bytes_.data(), bytes_.size()) == 0;
}

void Secret::clear() noexcept {
    // Wipe the whole capacity: earlier contents may live beyond size().
    bytes_.resize(bytes_.capacity());
    wipe(bytes_.data(), bytes_.size());
    bytes_.clear();
}

}  // namespace cardbridge
