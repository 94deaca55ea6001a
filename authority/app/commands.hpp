// The subcommands of cardbridge-authority: wiring of config, storage, keys, trust, SMS and the service.
#pragma once

#include <filesystem>
#include <string>

namespace cardbridge::authority::app {

/// `enroll` arguments.
struct EnrollArgs {
    std::filesystem::path certificate;
    std::string card;
    std::string organization;
    std::string uscc;
    std::string name;
    std::string idType;
    std::filesystem::path applicantFile;  ///< ID number and phone, one a line; empty = stdin
};

/// Each returns the process exit code and prints what went wrong (never a secret) on stderr.
/// `dev`: allow no API token file and the SMS outbox (checkServePolicy).
int serve(const std::filesystem::path& configFile, bool dev);
int enroll(const std::filesystem::path& configFile, const EnrollArgs& args);
int importCsv(const std::filesystem::path& configFile, const std::filesystem::path& csvFile);
int printPuk(const std::filesystem::path& configFile, const std::string& cardSerial);
int addReviewer(const std::filesystem::path& configFile, const std::string& name);
int purge(const std::filesystem::path& configFile);
/// 0 when the audit chain is whole; 1 naming the first broken row.
int verifyAudit(const std::filesystem::path& configFile);
/// Online backup of the database to `target` (backupDatabase), audited as backup.create in the live
/// database; 0 when the copy passed its checks (quick_check, audit chain), 1 otherwise or on failure.
/// `stepPages`: pages per sqlite3_backup_step.
int backup(const std::filesystem::path& configFile, const std::filesystem::path& target, bool force,
           int stepPages);

}  // namespace cardbridge::authority::app
