// Integration harness: an isolated pcscd with vsmartcard's vpcd driver, and cardbridge-vcard processes
// plugged into it. Every test gets its own pcscd in its own mount namespace, so tests run in parallel.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace cardbridge::test {

/// Output (stdout and stderr merged) and exit code of a finished command.
struct CommandResult {
    int exitCode = -1;
    std::string output;
};

/// Runs argv[0] (searched in PATH) with the current environment; kills it after `timeout`
/// (exitCode is then -1). Never throws for a non-zero exit.
CommandResult runCommand(const std::vector<std::string>& argv,
                         std::chrono::seconds timeout = std::chrono::seconds(60));

/// Path of the built cardbridge-vcard.
std::string vcardExecutable();

/// Runs `cardbridge-vcard args…`; throws std::runtime_error with its output when it fails.
std::string vcardCli(const std::vector<std::string>& args);

/// A child process started with fork/exec; killed (TERM, then KILL) on destruction.
class ChildProcess {
  public:
    ChildProcess() = default;
    /// Starts argv with stdout and stderr appended to `logFile`. Throws std::runtime_error.
    ChildProcess(const std::vector<std::string>& argv, const std::filesystem::path& logFile);
    ChildProcess(ChildProcess&& other) noexcept;
    ChildProcess& operator=(ChildProcess&& other) noexcept;
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;
    ~ChildProcess();

    /// True while the process has not exited.
    bool running();
    /// Sends SIGTERM, waits up to `grace`, then SIGKILL. Idempotent.
    void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(3000));
    pid_t pid() const noexcept { return pid_; }

  private:
    pid_t pid_ = -1;
};

/// An isolated pcscd whose reader.conf holds one vpcd device (2 slots) on free TCP ports.
/// Sets PCSCLITE_CSOCK_NAME in this process: pcsc-lite reads it once per process, so every
/// PcscEnv of one process reuses the same folder and socket path (and ports).
class PcscEnv {
  public:
    /// Starts pcscd and waits for its socket. Throws std::runtime_error when that is impossible
    /// (for example no permission to create a mount namespace).
    PcscEnv();
    ~PcscEnv();
    PcscEnv(const PcscEnv&) = delete;
    PcscEnv& operator=(const PcscEnv&) = delete;

    /// Folder holding the socket, reader.conf, logs and anything a test wants to put there.
    const std::filesystem::path& dir() const;
    /// "Virtual PCD 00 00" for slot 0, "Virtual PCD 00 01" for slot 1.
    std::string readerName(int slot) const;
    /// TCP port vpcd listens on for `slot`.
    std::uint16_t vpcdPort(int slot) const;
    /// pcscd's client socket (the value of PCSCLITE_CSOCK_NAME).
    std::filesystem::path socketPath() const;
    /// Stops pcscd (as a crash or an auto-exit would).
    void stopPcscd();
    /// Starts pcscd again and waits until it answers.
    void startPcscd();
    /// True while pcscd runs.
    bool pcscdRunning();

  private:
    ChildProcess pcscd_;
};

/// Options for starting a virtual card.
struct VcardOptions {
    int slot = 0;
    bool removed = false;
    bool t0 = false;
    int latencyMs = 0;
};

/// A running `cardbridge-vcard run` for a provisioned state file, with its control channel.
class VirtualCard {
  public:
    /// Starts the card process and waits until its control channel answers. Throws std::runtime_error.
    VirtualCard(PcscEnv& env, std::filesystem::path stateFile, VcardOptions options = {});
    ~VirtualCard();
    VirtualCard(const VirtualCard&) = delete;
    VirtualCard& operator=(const VirtualCard&) = delete;

    /// Sends one control line; returns the JSON reply. Throws std::runtime_error when it says ok:false.
    nlohmann::json control(const std::string& line);
    void insert();
    void remove();
    void setLatency(int ms);
    void failAt(std::uint64_t n);
    void dropAt(std::uint64_t n);
    void setT0(bool on);
    /// C-APDUs the card received since start or the last reset.
    std::uint64_t apduCount();
    void resetApduCount();
    /// Waits until pcscd reports a card present (or absent) in this card's reader. Throws on timeout.
    void waitPresent(std::chrono::milliseconds timeout = std::chrono::seconds(10));
    void waitAbsent(std::chrono::milliseconds timeout = std::chrono::seconds(10));
    /// `cardbridge-vcard show` of the state file: counters, serial, slots.
    nlohmann::json show();
    /// Stops the card process and waits until pcscd sees the reader empty.
    void stop();
    /// Starts the card process (state comes from the file, like a real card) and waits until pcscd
    /// sees the card, unless it was started removed.
    void start();
    /// stop() then start().
    void restart();
    const std::string& readerName() const noexcept { return reader_; }
    const std::filesystem::path& stateFile() const noexcept { return stateFile_; }

  private:
    void launch();
    void waitState(bool present, std::chrono::milliseconds timeout);

    PcscEnv& env_;
    std::filesystem::path stateFile_;
    VcardOptions options_;
    std::filesystem::path controlPath_;
    std::string reader_;
    ChildProcess process_;
};

/// Provisions a fresh card state file: `init`, then each (slot, certPem, keyPem, compress) import.
struct SlotContent {
    std::string slot;  ///< "9a", "9c", "9d", "9e", "82"…
    std::string certPem;
    std::string keyPem;  ///< may be empty
    bool compress = false;
};
/// Writes PEM files into `work` and runs the vcard CLI; extra init arguments go after `init --state`.
void provisionCard(const std::filesystem::path& stateFile, const std::vector<SlotContent>& slots,
                   const std::vector<std::string>& initArgs = {});

}  // namespace cardbridge::test
