// cardbridge-vcard: provisions and runs the virtual PIV card (see tools/vcard/README.md).
#include <csignal>
#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cardbridge/common/error.hpp"
#include "cardbridge/common/openssl.hpp"
#include "cardbridge/vcard/card_state.hpp"
#include "cardbridge/vcard/piv_applet.hpp"
#include "cardbridge/vcard/provision.hpp"
#include "cardbridge/vcard/vpcd_runner.hpp"

namespace {

std::atomic<bool> stopRequested{false};

extern "C" void onStopSignal(int) {
    stopRequested.store(true);
}

void installSignalHandlers() {
    struct sigaction sa {};
    sa.sa_handler = onStopSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: poll() returns EINTR and the loop sees the flag at once
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
    std::signal(SIGPIPE, SIG_IGN);
}

}  // namespace

int main(int argc, char** argv) {
    using namespace cardbridge;
    using namespace cardbridge::vcard;

    CLI::App app{"cardbridge-vcard: a virtual PIV card (YubiKey-like) for pcsc-lite via vsmartcard's vpcd"};
    app.require_subcommand(1);
    std::string statePath;

    InitOptions init;
    auto* initCmd = app.add_subcommand("init", "create a fresh card state file");
    initCmd->add_option("--state", statePath, "state file")->required();
    initCmd->add_option("--serial", init.serial, "card serial (default: random 8 digits)");
    initCmd->add_option("--pin", init.pin, "PIN (default 123456)");
    initCmd->add_option("--puk", init.puk, "PUK (default 12345678)");
    initCmd->add_option("--pin-retries", init.pinRetries, "PIN tries (default 3)");
    initCmd->add_option("--puk-retries", init.pukRetries, "PUK tries (default 3)");
    initCmd->add_option("--mgmt-key", init.mgmtKeyHex, "3DES management key, 48 hex digits");
    initCmd->add_flag("--force", init.force, "replace an existing state file");

    ImportOptions import;
    auto* importCmd = app.add_subcommand("import", "store a certificate (and private key) in a slot");
    importCmd->add_option("--state", statePath, "state file")->required();
    importCmd->add_option("--slot", import.slot, "9a, 9c, 9d, 9e or 82..95")->required();
    importCmd->add_option("--cert", import.certPath, "certificate, PEM or DER")->required();
    importCmd->add_option("--key", import.keyPath, "private key, PEM (RSA 1024/2048 or EC P-256)");
    importCmd->add_flag("--compress", import.compress, "store the certificate gzip-compressed");

    SetOptions set;
    auto* setCmd = app.add_subcommand("set", "change PIN/PUK, counters, serial or management key");
    setCmd->add_option("--state", statePath, "state file")->required();
    setCmd->add_option("--pin", set.pin, "new PIN");
    setCmd->add_option("--puk", set.puk, "new PUK");
    setCmd->add_option("--pin-retries", set.pinRetries, "PIN tries (also refills tries left)");
    setCmd->add_option("--puk-retries", set.pukRetries, "PUK tries (also refills tries left)");
    setCmd->add_option("--pin-tries-left", set.pinTriesLeft, "PIN tries left (0 = blocked)");
    setCmd->add_option("--puk-tries-left", set.pukTriesLeft, "PUK tries left (0 = blocked)");
    setCmd->add_option("--serial", set.serial, "card serial");
    setCmd->add_option("--mgmt-key", set.mgmtKeyHex, "3DES management key, 48 hex digits");

    auto* lockCmd = app.add_subcommand("lock-pin", "block the PIN (tries left = 0)");
    lockCmd->add_option("--state", statePath, "state file")->required();

    auto* showCmd = app.add_subcommand("show", "print the card's public state as JSON");
    showCmd->add_option("--state", statePath, "state file")->required();

    RunOptions run;
    int vpcdPort = 0;
    auto* runCmd = app.add_subcommand("run", "connect to vpcd and act as the card until SIGINT/SIGTERM");
    runCmd->add_option("--state", statePath, "state file")->required();
    runCmd->add_option("--vpcd-port", vpcdPort, "vpcd TCP port (0x8C7B + slot by default config)")
        ->required()
        ->check(CLI::Range(1, 65535));
    runCmd->add_option("--vpcd-host", run.vpcdHost,
                       "vpcd host, loopback only: 127.0.0.0/8, ::1 or localhost (default 127.0.0.1)");
    runCmd->add_option("--control", run.controlPath, "Unix socket for the test control channel");
    runCmd->add_flag("--removed", run.startRemoved, "start with the card removed");
    runCmd->add_flag("--t0", run.t0, "T=0 behaviour: 61xx for all data, 6Cxx for a wrong Le");
    runCmd->add_option("--latency-ms", run.latencyMs, "delay before each answer")
        ->check(CLI::Range(0, 600000));
    runCmd->add_flag("--verbose", run.verbose, "log every APDU (PIN/PUK/key data redacted)");

    CLI11_PARSE(app, argc, argv);

    try {
        if (initCmd->parsed()) {
            initCard(statePath, init);
        } else if (importCmd->parsed()) {
            importIntoCard(statePath, import);
        } else if (setCmd->parsed()) {
            setCard(statePath, set);
        } else if (lockCmd->parsed()) {
            lockPin(statePath);
        } else if (showCmd->parsed()) {
            std::cout << showCard(statePath).dump(2) << "\n";
        } else if (runCmd->parsed()) {
            run.vpcdPort = static_cast<std::uint16_t>(vpcdPort);
            installSignalHandlers();
            FileStateStore store(statePath);
            SystemRandom random;
            PivApplet applet(store, random);
            VpcdRunner runner(applet, run);
            runner.run(stopRequested);
        }
    } catch (const InputError& e) {
        std::fprintf(stderr, "cardbridge-vcard: %s\n", e.what());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "cardbridge-vcard: error: %s\n", e.what());
        return 1;
    }
    return 0;
}
