// The authority's reasons: one list in code (errors.hpp's REASONS), the same list with the same HTTP
// statuses in docs/authority-api.md's "Reasons" table, and every reason constant in that list.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "cardbridge/authority/core/errors.hpp"

namespace cardbridge::authority {
namespace {

std::string readSource(const std::string& relative) {
    std::ifstream in(std::string(CARDBRIDGE_SOURCE_DIR) + "/" + relative, std::ios::binary);
    EXPECT_TRUE(in) << "cannot read " << relative;
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// reason → HTTP status, from the table under "## Reasons" (rows "| `REASON` | 404 | …").
std::map<std::string, int> documentedReasons() {
    const std::string doc = readSource("docs/authority-api.md");
    const auto start = doc.find("\n## Reasons");
    EXPECT_NE(start, std::string::npos) << "docs/authority-api.md has no '## Reasons' section";
    if (start == std::string::npos) return {};
    const auto end = doc.find("\n## ", start + 1);
    const std::string section = doc.substr(start, end == std::string::npos ? std::string::npos : end - start);
    std::map<std::string, int> out;
    const std::regex row(R"(\n\|\s*`([A-Z_]+)`\s*\|\s*(\d{3})\s*\|)");
    for (std::sregex_iterator it(section.begin(), section.end(), row), last; it != last; ++it) {
        EXPECT_TRUE(out.emplace((*it)[1].str(), std::stoi((*it)[2].str())).second)
            << "documented twice: " << (*it)[1].str();
    }
    return out;
}

std::map<std::string, int> reasonsInCode() {
    std::map<std::string, int> out;
    for (const auto& entry : REASONS) {
        EXPECT_TRUE(out.emplace(std::string(entry.reason), entry.httpStatus).second)
            << "listed twice: " << entry.reason;
    }
    return out;
}

TEST(Reasons, DocsAndCodeListTheSameReasonsWithTheSameStatus) {
    const auto documented = documentedReasons();
    const auto code = reasonsInCode();
    ASSERT_FALSE(documented.empty());
    for (const auto& [name, status] : code) {
        const auto it = documented.find(name);
        if (it == documented.end()) {
            ADD_FAILURE() << name << " can be sent but docs/authority-api.md does not list it";
        } else {
            EXPECT_EQ(it->second, status) << name << ": docs and code disagree on the HTTP status";
        }
    }
    for (const auto& [name, status] : documented) {
        EXPECT_TRUE(code.contains(name)) << name << " is documented but the code never sends it";
    }
}

TEST(Reasons, EveryReasonConstantIsInTheList) {
    // A constant declared in namespace reason but missing from REASONS would be sent with the default
    // status and escape the docs check above.
    const std::string header = readSource("authority/core/include/cardbridge/authority/core/errors.hpp");
    const std::regex constant(R"re(inline constexpr std::string_view ([A-Z_]+) = "([A-Z_]+)";)re");
    const auto code = reasonsInCode();
    int declared = 0;
    for (std::sregex_iterator it(header.begin(), header.end(), constant), last; it != last; ++it) {
        ++declared;
        EXPECT_EQ((*it)[1].str(), (*it)[2].str()) << "a constant's name and value differ";
        EXPECT_TRUE(code.contains((*it)[2].str())) << (*it)[2].str() << " is declared but not in REASONS";
    }
    EXPECT_EQ(static_cast<std::size_t>(declared), REASONS.size());
}

TEST(Reasons, StatusLookupAndFailUseTheList) {
    for (const auto& entry : REASONS) {
        EXPECT_EQ(httpStatusFor(entry.reason), entry.httpStatus) << entry.reason;
        try {
            fail(entry.reason, "test");
            ADD_FAILURE() << "fail() returned";
        } catch (const AuthorityError& e) {
            EXPECT_EQ(e.reason(), entry.reason);
            EXPECT_EQ(e.httpStatus(), entry.httpStatus);
        }
    }
    EXPECT_EQ(httpStatusFor("NO_SUCH_REASON"), 400);
}

}  // namespace
}  // namespace cardbridge::authority
