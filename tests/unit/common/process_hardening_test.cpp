// disableCoreDumps(): run in a child process (it changes the whole process for good), which reports
// what the kernel says afterwards through its exit code.
#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "cardbridge/common/process_hardening.hpp"

namespace {

enum ChildResult : int {
    OK = 0,
    THREW = 10,
    STILL_DUMPABLE = 11,
    SOFT_LIMIT = 12,
    HARD_LIMIT = 13,
    LIMITS = 14
};

// "Max core file size        0                    0                    bytes" in /proc/self/limits.
bool procLimitsShowZeroCore() {
    std::ifstream in("/proc/self/limits");
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind("Max core file size", 0) != 0) continue;
        std::string rest = line.substr(std::string("Max core file size").size());
        std::size_t first = rest.find_first_not_of(' ');
        std::size_t afterSoft = rest.find(' ', first);
        std::size_t hard = rest.find_first_not_of(' ', afterSoft);
        return rest.compare(first, 2, "0 ") == 0 && rest.compare(hard, 2, "0 ") == 0;
    }
    return false;
}

int runInChild() {
    try {
        cardbridge::disableCoreDumps();
    } catch (...) {
        return THREW;
    }
    if (::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0) return STILL_DUMPABLE;
    rlimit limit{};
    ::getrlimit(RLIMIT_CORE, &limit);
    if (limit.rlim_cur != 0) return SOFT_LIMIT;
    if (limit.rlim_max != 0) return HARD_LIMIT;
    if (!procLimitsShowZeroCore()) return LIMITS;
    return OK;
}

}  // namespace

TEST(ProcessHardening, DisableCoreDumpsMakesTheProcessNotDumpableWithCoreLimitZero) {
    // The test process itself starts dumpable with some core limit, so the child's answer is the function's.
    ASSERT_EQ(::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 1);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) ::_exit(runInChild());
    int status = 0;
    ASSERT_EQ(::waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), OK) << "10 threw, 11 still dumpable, 12 soft limit, 13 hard limit, "
                                          "14 /proc/self/limits";
}
