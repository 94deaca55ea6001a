// trust_windows.cpp under wine for scripts/wine-trust-smoke.sh: install, status, install again, remove,
// and an administrator's ImportEnterpriseRoots = 0 left alone. Prints "FAIL: …" and exits 1 on the first
// broken expectation.
#include <windows.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <string>

#include "cardbridge/localtls/trust_windows.hpp"

using namespace cardbridge::localtls::windows;

namespace {

int failures = 0;

void expect(bool ok, const char* what, const std::string& report = {}) {
    if (!ok) {
        std::printf("FAIL: %s\n%s", what, report.c_str());
        ++failures;
    }
}

bool keyExists(const wchar_t* path) {
    HKEY key = nullptr;
    if (::RegOpenKeyExW(HKEY_LOCAL_MACHINE, path, 0, KEY_READ | KEY_WOW64_64KEY, &key) != ERROR_SUCCESS)
        return false;
    ::RegCloseKey(key);
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) return 2;
    std::ifstream in(argv[1], std::ios::binary);
    const std::string pem((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto der = derFromPem(pem);
    std::string report;

    expect(runTrust(TrustCommand::Status, pem, true, report) == 1, "status before install says trusted",
           report);
    report.clear();
    expect(runTrust(TrustCommand::Install, pem, true, report) == 0, "install failed", report);
    expect(hasRoot(der, RootStore::LocalMachine), "root not in LocalMachine ROOT after install");
    expect(firefoxEnterpriseRootsOn(), "ImportEnterpriseRoots not on after install");
    report.clear();
    expect(runTrust(TrustCommand::Status, pem, true, report) == 0, "status after install not trusted",
           report);
    report.clear();
    expect(runTrust(TrustCommand::Install, pem, true, report) == 0, "second install failed", report);
    expect(report.find("already") != std::string::npos, "second install did not say already", report);
    report.clear();
    expect(runTrust(TrustCommand::Remove, "", true, report) == 0, "remove failed", report);
    expect(!hasRoot(der, RootStore::LocalMachine), "root still there after remove");
    expect(!firefoxEnterpriseRootsOn(), "ImportEnterpriseRoots still on after remove");
    expect(!keyExists(L"SOFTWARE\\Policies\\Mozilla"), "the Mozilla policy key we created is left behind");
    expect(!keyExists(L"SOFTWARE\\cardbridge"), "our record key is left behind");

    // An administrator's 0 stays 0, through install and remove.
    HKEY key = nullptr;
    ::RegCreateKeyExW(HKEY_LOCAL_MACHINE, L"SOFTWARE\\Policies\\Mozilla\\Firefox\\Certificates", 0, nullptr,
                      0, KEY_SET_VALUE | KEY_WOW64_64KEY, nullptr, &key, nullptr);
    const DWORD zero = 0;
    ::RegSetValueExW(key, L"ImportEnterpriseRoots", 0, REG_DWORD, reinterpret_cast<const BYTE*>(&zero),
                     sizeof zero);
    ::RegCloseKey(key);
    report.clear();
    expect(runTrust(TrustCommand::Install, pem, true, report) == 1,
           "install over an admin's 0 did not say so", report);
    runTrust(TrustCommand::Remove, "", true, report);
    DWORD value = 7;
    DWORD size = sizeof value;
    expect(::RegGetValueW(HKEY_LOCAL_MACHINE, L"SOFTWARE\\Policies\\Mozilla\\Firefox\\Certificates",
                          L"ImportEnterpriseRoots", RRF_RT_REG_DWORD | RRF_SUBKEY_WOW6464KEY, nullptr, &value,
                          &size) == ERROR_SUCCESS &&
               value == 0,
           "the administrator's ImportEnterpriseRoots = 0 was changed or removed");
    if (failures == 0) std::printf("trust smoke: ok\n");
    return failures == 0 ? 0 : 1;
}
