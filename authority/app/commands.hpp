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
    std::string idNumber;
    std::string phone;
};

/// Each returns the process exit code and prints what went wrong (never a secret) on stderr.
int serve(const std::filesystem::path& configFile);
int enroll(const std::filesystem::path& configFile, const EnrollArgs& args);
int importCsv(const std::filesystem::path& configFile, const std::filesystem::path& csvFile);
int printPuk(const std::filesystem::path& configFile, const std::string& cardSerial);
int addReviewer(const std::filesystem::path& configFile, const std::string& name);
int purge(const std::filesystem::path& configFile);

}  // namespace cardbridge::authority::app
