#include "cardbridge/daemon/unlock/unlock_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace cardbridge::daemon::unlock {

using nlohmann::json;
namespace fs = std::filesystem;

namespace {

constexpr std::uintmax_t MAX_RECORD_BYTES = 64 * 1024;

[[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error(what + ": " + std::strerror(errno));
}

class Fd {
  public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    [[nodiscard]] int get() const noexcept { return fd_; }
    int release() noexcept { return std::exchange(fd_, -1); }

  private:
    int fd_;
};

fs::path recordPath(const fs::path& dir, const char* prefix, const std::string& cardId) {
    if (!isStoreCardId(cardId)) throw std::runtime_error("unlock store: not a card id: " + cardId);
    return dir / (std::string(prefix) + cardId + ".json");
}

/// The record at `path` as JSON; nothing when absent; a broken one is moved aside.
std::optional<json> readRecord(const fs::path& path) {
    std::error_code ec;
    if (!fs::exists(path, ec)) return std::nullopt;
    const auto size = fs::file_size(path, ec);
    json value = json::value_t::discarded;
    if (!ec && size <= MAX_RECORD_BYTES) {
        std::ifstream in(path, std::ios::binary);
        value = json::parse(in, nullptr, false);
    }
    if (value.is_discarded() || !value.is_object()) {
        fs::path aside = path;
        aside += ".corrupt";
        fs::rename(path, aside, ec);
        spdlog::error("unlock store: {} is unreadable; moved to {}", path.filename().string(),
                      aside.filename().string());
        return std::nullopt;
    }
    return value;
}

std::string text(const json& object, const char* key) {
    auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::uint64_t number(const json& object, const char* key) {
    auto it = object.find(key);
    return it != object.end() && it->is_number_unsigned() ? it->get<std::uint64_t>() : 0;
}

std::optional<JournalEntry> journalFrom(const json& j) {
    if (!j.is_object()) return std::nullopt;
    JournalEntry e;
    e.cardId = text(j, "cardId");
    e.cardSerial = text(j, "cardSerial");
    e.requestId = text(j, "requestId");
    e.epoch = number(j, "epoch");
    e.nextEpoch = number(j, "nextEpoch");
    e.updatedAt = text(j, "updatedAt");
    // Read on the safe side: anything but an explicit `false` (a hand-edited "no", a number) keeps the card
    // stuck, so a damaged record never buys another PUK try.
    auto stuck = j.find("stuck");
    e.stuck = stuck != j.end() && *stuck != json(false);
    const auto step = parseJournalStep(text(j, "step"));
    if (!step || e.requestId.empty() || !isStoreCardId(e.cardId)) return std::nullopt;
    e.step = *step;
    return e;
}

std::optional<PendingRequest> pendingFrom(const json& j) {
    if (!j.is_object()) return std::nullopt;
    PendingRequest p;
    p.cardId = text(j, "cardId");
    p.cardSerial = text(j, "cardSerial");
    p.requestId = text(j, "requestId");
    p.fingerprint = text(j, "fingerprint");
    p.slot = text(j, "slot");
    p.step = text(j, "step");
    p.createdAt = text(j, "createdAt");
    p.updatedAt = text(j, "updatedAt");
    if (p.requestId.empty() || !isStoreCardId(p.cardId)) return std::nullopt;
    return p;
}

template <typename Record, typename From>
std::vector<Record> all(const fs::path& dir, std::string_view prefix, From from) {
    std::vector<Record> out;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        const std::string name = entry.path().filename().string();
        if (!name.starts_with(prefix) || !name.ends_with(".json")) continue;
        if (auto value = readRecord(entry.path())) {
            if (auto record = from(*value)) out.push_back(std::move(*record));
        }
    }
    return out;
}

}  // namespace

std::string_view toString(JournalStep step) noexcept {
    switch (step) {
        case JournalStep::Credential:
            return "credential";
        case JournalStep::Reset:
            return "reset";
        case JournalStep::Rotate:
            return "rotate";
        case JournalStep::Complete:
            return "complete";
    }
    return "credential";
}

std::optional<JournalStep> parseJournalStep(std::string_view text) noexcept {
    for (JournalStep s :
         {JournalStep::Credential, JournalStep::Reset, JournalStep::Rotate, JournalStep::Complete}) {
        if (toString(s) == text) return s;
    }
    return std::nullopt;
}

bool isStoreCardId(std::string_view cardId) noexcept {
    if (cardId.size() != 32) return false;
    for (char c : cardId) {
        const bool hex = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f');
        if (!hex) return false;
    }
    return true;
}

void writeFileAtomically(const fs::path& path, std::string_view content, bool durable) {
    // A temp name of its own per write: two threads writing one record must not share (and rename away)
    // each other's temp file.
    static std::atomic<std::uint64_t> counter{0};
    fs::path temp = path;
    temp += ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter.fetch_add(1));
    {
        Fd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600));
        if (fd.get() < 0) fail("cannot create " + temp.string());
        if (::fchmod(fd.get(), 0600) != 0) fail("cannot chmod " + temp.string());
        std::size_t done = 0;
        while (done < content.size()) {
            const ssize_t n = ::write(fd.get(), content.data() + done, content.size() - done);
            if (n < 0) {
                if (errno == EINTR) continue;
                fail("cannot write " + temp.string());
            }
            done += static_cast<std::size_t>(n);
        }
        if (durable && ::fsync(fd.get()) != 0) fail("cannot fsync " + temp.string());
        if (::close(fd.release()) != 0) fail("cannot close " + temp.string());
    }
    if (::rename(temp.c_str(), path.c_str()) != 0) fail("cannot rename " + temp.string());
    if (!durable) return;
    // The rename itself must survive a power cut: sync the folder.
    Fd dir(::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (dir.get() >= 0) ::fsync(dir.get());
}

UnlockStore::UnlockStore(fs::path stateDir) : dir_(std::move(stateDir) / "unlock") {
    std::error_code ec;
    fs::create_directories(dir_, ec);
    if (ec) throw std::runtime_error("cannot create " + dir_.string() + ": " + ec.message());
    fs::permissions(dir_, fs::perms::owner_all, fs::perm_options::replace, ec);
}

std::optional<JournalEntry> UnlockStore::journal(const std::string& cardId) const {
    auto value = readRecord(recordPath(dir_, "journal-", cardId));
    return value ? journalFrom(*value) : std::nullopt;
}

void UnlockStore::writeJournal(const JournalEntry& e, bool durable) const {
    const json j = {{"cardId", e.cardId},       {"cardSerial", e.cardSerial},
                    {"requestId", e.requestId}, {"epoch", e.epoch},
                    {"nextEpoch", e.nextEpoch}, {"step", std::string(toString(e.step))},
                    {"updatedAt", e.updatedAt}, {"stuck", e.stuck}};
    writeFileAtomically(recordPath(dir_, "journal-", e.cardId), j.dump() + "\n", durable);
}

void UnlockStore::removeJournal(const std::string& cardId) const {
    std::error_code ec;
    fs::remove(recordPath(dir_, "journal-", cardId), ec);
}

std::vector<JournalEntry> UnlockStore::journals() const {
    return all<JournalEntry>(dir_, "journal-", journalFrom);
}

std::optional<PendingRequest> UnlockStore::pending(const std::string& cardId) const {
    auto value = readRecord(recordPath(dir_, "pending-", cardId));
    return value ? pendingFrom(*value) : std::nullopt;
}

void UnlockStore::writePending(const PendingRequest& p) const {
    const json j = {{"cardId", p.cardId},       {"cardSerial", p.cardSerial},
                    {"requestId", p.requestId}, {"fingerprint", p.fingerprint},
                    {"slot", p.slot},           {"step", p.step},
                    {"createdAt", p.createdAt}, {"updatedAt", p.updatedAt}};
    writeFileAtomically(recordPath(dir_, "pending-", p.cardId), j.dump() + "\n");
}

void UnlockStore::removePending(const std::string& cardId) const {
    std::error_code ec;
    fs::remove(recordPath(dir_, "pending-", cardId), ec);
}

std::vector<PendingRequest> UnlockStore::pendings() const {
    return all<PendingRequest>(dir_, "pending-", pendingFrom);
}

}  // namespace cardbridge::daemon::unlock
