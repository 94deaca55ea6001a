// One reader's worker: a thread, a queue of typed tasks, and the card state only that thread touches.
// Private to cardbridged_core; CardService creates and retires workers.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <variant>

#include "cardbridge/daemon/core/card_service.hpp"

namespace cardbridge::daemon {

/// What a worker can be asked to do; each runs on the worker's thread in queue order.
namespace task {
struct ReaderAdded {};  ///< announce reader.added
struct CardInserted {   ///< read the card, cache it, announce card.inserted
    std::uint64_t generation = 0;
};
struct CardRemoved {};    ///< forget the card, announce card.removed
struct ReaderRemoved {};  ///< announce reader.removed (the last task of a retired worker)
struct Run {              ///< a request's card work
    CardService::Job job;
};
}  // namespace task

using Task =
    std::variant<task::ReaderAdded, task::CardInserted, task::CardRemoved, task::ReaderRemoved, task::Run>;

struct CardService::Worker final : ReaderSession {
  public:
    Worker(CardService& service, std::string reader);

    // --- any thread ---

    /// Starts the thread.
    void start();
    /// Queues `task`. Never throws beyond std::bad_alloc.
    void push(Task task);
    /// Lets the queue drain (requests then see the reader gone) and the thread end.
    void requestStop();
    /// True once the thread has left its loop.
    bool finished();
    /// Joins the thread (when started).
    void join();

    // --- ReaderSession (the worker thread) ---

    const std::string& reader() const override { return reader_; }
    card::PivCard& card() override;
    const CardSnapshot& snapshot() override;
    void updatePin(const card::PinRetries& pin) noexcept override;
    card::PinRetries refreshPin() noexcept override;
    std::chrono::system_clock::time_point now() const override;

  private:
    void run();
    void perform(task::ReaderAdded);
    void perform(task::CardInserted inserted);
    void perform(task::CardRemoved);
    void perform(task::ReaderRemoved);
    void perform(task::Run& run);
    const CardSnapshot& readSnapshot();
    nlohmann::json publishCard();

    CardService& service_;
    const std::string reader_;

    std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Task> queue_;
    bool stopping_ = false;
    bool finished_ = false;
    std::thread thread_;

    // Worker thread only.
    bool gone_ = false;
    bool present_ = false;
    std::unique_ptr<card::CardConnector> connector_;
    std::unique_ptr<card::PivCard> card_;
    std::optional<CardSnapshot> snapshot_;
    std::uint64_t generation_ = 0;                          ///< of the insertion being served
    std::chrono::system_clock::time_point cacheValidFrom_;  ///< of the last published card
    std::chrono::system_clock::time_point cacheValidUntil_;
};

}  // namespace cardbridge::daemon
