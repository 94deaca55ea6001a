// What the unlock flow keeps in the state folder, per card: the PUK rotation's write-ahead journal and the
// review request waiting for a decision. Atomic writes (temp file, fsync, rename, fsync of the folder),
// mode 0600, never a PIN, PUK or code, no personal data.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cardbridge::daemon::unlock {

/// The step of the PUK rotation about to happen (written before it happens).
enum class JournalStep {
    Credential,  ///< the request is authorised; the PUKs are being fetched
    Reset,       ///< RESET RETRY COUNTER (current PUK ‖ new PIN) is about to be sent
    Rotate,      ///< the PIN is reset; CHANGE REFERENCE DATA of the PUK is about to be sent
    Complete,    ///< the card holds the next PUK; the authority's `complete` is about to be called
};

/// "credential", "reset", "rotate", "complete".
[[nodiscard]] std::string_view toString(JournalStep step) noexcept;
/// The step named `text`, nothing otherwise.
[[nodiscard]] std::optional<JournalStep> parseJournalStep(std::string_view text) noexcept;

/// One card's rotation in progress.
struct JournalEntry {
    std::string cardId;      ///< 32 upper-case hex (cards.list cardId): the file's name
    std::string cardSerial;  ///< what the authority calls the card
    std::string requestId;
    std::uint64_t epoch = 0;  ///< the card's epoch before the rotation (set once the credential came)
    std::uint64_t nextEpoch = 0;
    JournalStep step = JournalStep::Credential;
    std::string updatedAt;  ///< ISO 8601, for people reading the folder
    /// The card refused the PUKs the authority released: nothing is tried again automatically (every try
    /// spent would bring the PUK closer to blocked); the support desk clears it by deleting the file.
    bool stuck = false;
};

/// One card's review request that the daemon remembers across restarts.
struct PendingRequest {
    std::string cardId;
    std::string cardSerial;
    std::string requestId;
    std::string fingerprint;  ///< SHA-256 of the certificate the request was made with
    std::string slot;         ///< "9a"
    std::string step;         ///< the flow step last seen: attachments, in_review, approved
    std::string createdAt;    ///< ISO 8601: when the daemon created it (the polling backoff counts from it)
    std::string updatedAt;
};

/// The files under `<stateDir>/unlock/`: journal-<cardId>.json and pending-<cardId>.json. Thread-safe as far
/// as the file system is (each write is one rename). Throws std::runtime_error when a file cannot be
/// written; a file that cannot be read or parsed is renamed to *.corrupt, logged, and treated as absent.
class UnlockStore {
  public:
    /// Creates the folder (0700) when missing. Throws std::runtime_error.
    explicit UnlockStore(std::filesystem::path stateDir);

    [[nodiscard]] std::optional<JournalEntry> journal(const std::string& cardId) const;
    /// `durable` false skips the fsyncs: for steps whose loss a crash cannot make harmful (see Reset).
    void writeJournal(const JournalEntry& entry, bool durable = true) const;
    void removeJournal(const std::string& cardId) const;
    [[nodiscard]] std::vector<JournalEntry> journals() const;

    [[nodiscard]] std::optional<PendingRequest> pending(const std::string& cardId) const;
    void writePending(const PendingRequest& request) const;
    void removePending(const std::string& cardId) const;
    [[nodiscard]] std::vector<PendingRequest> pendings() const;

    [[nodiscard]] const std::filesystem::path& dir() const noexcept { return dir_; }

  private:
    std::filesystem::path dir_;
};

/// True for a card id the store accepts as a file name part: 32 hex digits (upper or lower case).
[[nodiscard]] bool isStoreCardId(std::string_view cardId) noexcept;

/// Writes `text` to `path` atomically with mode 0600: a temp file beside it, fsync, rename, fsync of the
/// folder (`durable` false: no fsyncs — still atomic, but a power cut may lose it). Throws
/// std::runtime_error.
void writeFileAtomically(const std::filesystem::path& path, std::string_view text, bool durable = true);

}  // namespace cardbridge::daemon::unlock
