// docs/api.md is the contract: its reason table (§7) and the daemon's error table must list the same
// reasons with the same JSON-RPC codes.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>

#include "cardbridge/daemon/core/errors.hpp"

namespace cardbridge::daemon {
namespace {

/// reason → code from the table under "## 7. Error reasons" in docs/api.md.
std::map<std::string, int> documentedReasons() {
    std::ifstream in(std::string(CARDBRIDGE_SOURCE_DIR) + "/docs/api.md");
    EXPECT_TRUE(in) << "docs/api.md not found";
    std::map<std::string, int> out;
    const std::regex row(R"(^\| `([A-Z_]+)` \| (-?\d+) \|)");
    bool inSection = false;
    for (std::string line; std::getline(in, line);) {
        if (line.rfind("## ", 0) == 0) inSection = line.find("Error reasons") != std::string::npos;
        std::smatch m;
        if (inSection && std::regex_search(line, m, row)) {
            EXPECT_TRUE(out.emplace(m[1].str(), std::stoi(m[2].str())).second) << "listed twice: " << m[1];
        }
    }
    return out;
}

TEST(ApiDoc, ReasonTableMatchesTheCode) {
    const std::map<std::string, int> documented = documentedReasons();
    ASSERT_FALSE(documented.empty()) << "no reason rows found in docs/api.md §7";
    for (const auto& row : REASONS) {
        auto it = documented.find(row.name);
        if (it == documented.end()) {
            ADD_FAILURE() << row.name << " can be sent but is not in docs/api.md §7";
            continue;
        }
        EXPECT_EQ(it->second, static_cast<int>(row.code)) << row.name << ": code differs from docs/api.md";
    }
    for (const auto& [name, code] : documented) {
        bool known = false;
        for (const auto& row : REASONS) known = known || name == row.name;
        EXPECT_TRUE(known) << name << " is documented in docs/api.md §7 but the daemon never sends it";
    }
}

}  // namespace
}  // namespace cardbridge::daemon
