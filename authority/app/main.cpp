// cardbridge-authority: the CA-side unlock authority. Thin: parse the command line, run a command.
#include <sys/stat.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>

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

    app::EnrollArgs enrollArgs;
    auto* enroll = cli.add_subcommand("enroll", "register an issued certificate with its original applicant");
    enroll->add_option("--cert", enrollArgs.certificate, "certificate file (PEM or DER)")->required();
    enroll->add_option("--card", enrollArgs.card, "serial of the card holding it")->required();
    enroll->add_option("--org", enrollArgs.organization, "organisation (机构名称)")->required();
    enroll->add_option("--uscc", enrollArgs.uscc, "统一社会信用代码 (optional)");
    enroll->add_option("--name", enrollArgs.name, "applicant's name (经办人姓名)")->required();
    enroll->add_option("--id-type", enrollArgs.idType, "证件类型, e.g. 居民身份证")->required();
    enroll->add_option("--id-number", enrollArgs.idNumber, "证件号码 (stored only as a keyed hash)")
        ->required();
    enroll->add_option("--phone", enrollArgs.phone, "mainland mobile number")->required();

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

    CLI11_PARSE(cli, argc, argv);
    if (serve->parsed()) return app::serve(config);
    if (enroll->parsed()) return app::enroll(config, enrollArgs);
    if (import->parsed()) return app::importCsv(config, csv);
    if (puk->parsed()) return app::printPuk(config, card);
    if (reviewerAdd->parsed()) return app::addReviewer(config, reviewerName);
    if (purge->parsed()) return app::purge(config);
    return 2;
}
