// A fake daemon under windows_service.cpp for scripts/wine-smoke.sh: it records each step in
// C:\cbsmoke.log, stops when the SCM says so and returns 3 (the SCM must report it as the exit code).
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <thread>
#include "windows_service.hpp"
using namespace cardbridge::daemon;
static void note(const char* text) {
    std::ofstream("C:\\cbsmoke.log", std::ios::app) << text << std::endl;
}
int main() {
    note("main");
    int rc = runWindowsService([](Supervisor& supervisor, const ServiceStopArm& armStop) {
        std::mutex m;
        std::condition_variable cv;
        bool stop = false;
        armStop([&] {
            note("stop-called");
            supervisor.stopping();
            std::lock_guard l(m);
            stop = true;
            cv.notify_all();
        });
        note("daemon-start");
        supervisor.ready(23443);
        note("ready");
        std::unique_lock l(m);
        cv.wait(l, [&] { return stop; });
        note("daemon-return-3");
        return 3;
    });
    note(rc == 3 ? "dispatcher-returned-3" : "dispatcher-returned-other");
    return rc;
}
