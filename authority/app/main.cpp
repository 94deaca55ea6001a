// cardbridge-authority: the CA-side unlock authority. Thin: parse the command line, run a command.
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "cardbridge/common/process_hardening.hpp"
#include "commands.hpp"

int main(int argc, char** argv) {
    namespace app = cardbridge::authority::app;
    try {
        cardbridge::disableCoreDumps();  // it holds the PUK master key, ID-hash key and SMS codes
    } catch (const std::exception& e) {
        std::fprintf(stderr, "cardbridge-authority: %s\n", e.what());
        return 1;
    }
    ::umask(077);  // database, logs, outbox and rotated files: owner only
    CLI::App cli{"cardbridge-authority " CARDBRIDGE_VERSION
                 " — 证书 PIN 解锁授权服务 (CA-side unlock authority)"};
    cli.require_subcommand(1);
    std::filesystem::path config = "/etc/cardbridge/authority.json";
    cli.add_option("-c,--config", config, "JSON config file")->capture_default_str();

    auto* serve = cli.add_subcommand("serve", "serve the HTTPS API and the reviewers' pages");
    serve->add_option("--config", config, "JSON config file");
    bool dev = false;
    serve->add_flag("--dev", dev,
                    "demo on this machine: allow the API without a token file and the SMS outbox file");

    app::EnrollArgs enrollArgs;
    auto* enroll = cli.add_subcommand("enroll", "register an issued certificate with its original applicant");
    enroll->add_option("--cert", enrollArgs.certificate, "certificate file (PEM or DER)")->required();
    enroll->add_option("--card", enrollArgs.card, "serial of the card holding it")->required();
    enroll->add_option("--org", enrollArgs.organization, "organisation (机构名称)")->required();
    enroll->add_option("--uscc", enrollArgs.uscc, "统一社会信用代码 (optional)");
    enroll->add_option("--name", enrollArgs.name, "applicant's name (经办人姓名)")->required();
    enroll->add_option("--id-type", enrollArgs.idType, "证件类型, e.g. 居民身份证")->required();
    enroll->add_option(
        "--applicant-file", enrollArgs.applicantFile,
        "file with the 证件号码 on its first line and the phone on its second (default: stdin)");
    // The old flags put ID numbers and phones on the command line, where every local user reads them in
    // /proc: kept only to say so.
    std::string refusedIdNumber;
    std::string refusedPhone;
    enroll->add_option("--id-number", refusedIdNumber)->group("");
    enroll->add_option("--phone", refusedPhone)->group("");

    std::filesystem::path csv;
    auto* import = cli.add_subcommand("import-csv", "register certificates listed in a CSV file");
    import->add_option("file", csv, "CSV with a header row")->required();

    std::string card;
    auto* puk = cli.add_subcommand("puk", "print a card's current PUK (issuance stations); audited");
    puk->add_option("--card", card, "card serial")->required();

    std::string reviewerName;
    auto* reviewer = cli.add_subcommand("reviewer", "manage reviewer accounts");
    reviewer->require_subcommand(1);
    auto* reviewerAdd = reviewer->add_subcommand("add", "create a reviewer; the password is read from stdin");
    reviewerAdd->add_option("name", reviewerName, "login name")->required();

    auto* purge = cli.add_subcommand("purge", "delete attachment contents past the retention period");

    auto* verifyAudit =
        cli.add_subcommand("verify-audit", "check the audit log's hash chain; names the first broken row");

    std::filesystem::path backupTarget;
    bool backupForce = false;
    auto* backup = cli.add_subcommand(
        "backup", "copy the database while serve runs (SQLite online backup), then check the copy");
    backup->add_option("--to", backupTarget, "the backup file to write (its folder must exist)")->required();
    backup->add_flag("--force", backupForce, "replace the file when it exists");
    int backupStepPages = 1024;
    backup->add_option("--step-pages", backupStepPages, "pages copied per backup step")
        ->check(CLI::Range(1, 1 << 20))
        ->capture_default_str();

    CLI11_PARSE(cli, argc, argv);
    if (serve->parsed()) return app::serve(config, dev);
    if (enroll->parsed()) {
        if (enroll->count("--id-number") > 0 || enroll->count("--phone") > 0) {
            std::cerr
                << "enroll: --id-number and --phone are no longer accepted: the command line is visible "
                   "to every local user in /proc. Give the ID number and the phone on stdin (two "
                   "lines) or with --applicant-file FILE.\n";
            return 2;
        }
        return app::enroll(config, enrollArgs);
    }
    if (import->parsed()) return app::importCsv(config, csv);
    if (puk->parsed()) return app::printPuk(config, card);
    if (reviewerAdd->parsed()) return app::addReviewer(config, reviewerName);
    if (purge->parsed()) return app::purge(config);
    if (verifyAudit->parsed()) return app::verifyAudit(config);
    if (backup->parsed()) return app::backup(config, backupTarget, backupForce, backupStepPages);
    return 2;
}
