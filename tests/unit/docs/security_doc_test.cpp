// docs/security.md names the test behind each claim: every GoogleTest name it cites (`Suite.Name`, or
// `Suite.*` for a whole suite) must exist under tests/, and every tests/… file it cites must exist, so a
// renamed or deleted test cannot leave a claim standing on nothing.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

namespace {

namespace fs = std::filesystem;
const fs::path SOURCE = CARDBRIDGE_SOURCE_DIR;

std::string slurp(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

/// Every "Suite.Name" and "Suite.*" defined by TEST, TEST_F or TEST_P in the C++ sources under tests/.
std::set<std::string> definedTests() {
    std::set<std::string> out;
    const std::regex test(R"(\bTEST(?:_F|_P)?\(\s*([A-Za-z0-9_]+)\s*,\s*([A-Za-z0-9_]+)\s*\))");
    for (const auto& entry : fs::recursive_directory_iterator(SOURCE / "tests")) {
        const auto ext = entry.path().extension();
        if (!entry.is_regular_file() || (ext != ".cpp" && ext != ".hpp")) continue;
        const std::string text = slurp(entry.path());
        for (std::sregex_iterator it(text.begin(), text.end(), test), end; it != end; ++it) {
            out.insert((*it)[1].str() + "." + (*it)[2].str());
            out.insert((*it)[1].str() + ".*");
        }
    }
    return out;
}

TEST(SecurityDoc, EveryCitedTestExists) {
    const std::string doc = slurp(SOURCE / "docs" / "security.md");
    ASSERT_FALSE(doc.empty()) << "docs/security.md not found";
    const std::set<std::string> defined = definedTests();
    ASSERT_GT(defined.size(), 500U) << "the test scan found too little: the pattern or the tree changed";

    const std::regex cited(R"(`([A-Z][A-Za-z0-9]*\.(?:\*|[A-Z][A-Za-z0-9_]*))`)");
    std::size_t count = 0;
    for (std::sregex_iterator it(doc.begin(), doc.end(), cited), end; it != end; ++it, ++count) {
        EXPECT_TRUE(defined.count((*it)[1].str()))
            << "docs/security.md cites " << (*it)[1] << ", which no test defines";
    }
    EXPECT_GT(count, 100U) << "fewer cited tests than expected: the pattern or the document changed";

    const std::regex file(R"(`(tests/[A-Za-z0-9_./-]+\.[a-z]+)`)");
    for (std::sregex_iterator it(doc.begin(), doc.end(), file), end; it != end; ++it) {
        EXPECT_TRUE(fs::exists(SOURCE / (*it)[1].str()))
            << "docs/security.md cites " << (*it)[1] << ", which does not exist";
    }
}

}  // namespace
