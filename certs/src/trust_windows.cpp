// Windows trust stores (trust_windows.hpp).
#ifdef _WIN32

#include "cardbridge/localtls/trust_windows.hpp"

#ifndef WIN32_LEAN_AND_MEAN
#define WIN32_LEAN_AND_MEAN
#endif
#ifndef NOMINMAX
#define NOMINMAX
#endif
// windows.h must come before wincrypt.h.
// clang-format off
#include <windows.h>
#include <wincrypt.h>
// clang-format on

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace cardbridge::localtls::windows {

namespace {

constexpr const wchar_t* FIREFOX_POLICY_KEY = L"SOFTWARE\\Policies\\Mozilla\\Firefox\\Certificates";
constexpr const wchar_t* FIREFOX_POLICY_VALUE = L"ImportEnterpriseRoots";
// The keys enableFirefoxEnterpriseRoots may create, deepest first, and the bit recording each.
struct PolicyKey {
    const wchar_t* path;
    DWORD createdBit;
};
constexpr PolicyKey POLICY_KEYS[] = {
    {L"SOFTWARE\\Policies\\Mozilla\\Firefox\\Certificates", 2},
    {L"SOFTWARE\\Policies\\Mozilla\\Firefox", 4},
    {L"SOFTWARE\\Policies\\Mozilla", 8},
};
constexpr DWORD VALUE_SET_BIT = 1;
// Our own record of what we changed (one DWORD of the bits above).
constexpr const wchar_t* RECORD_KEY = L"SOFTWARE\\cardbridge";
constexpr const wchar_t* RECORD_VALUE = L"FirefoxPolicyCreated";

[[noreturn]] void fail(const char* call, DWORD error) {
    throw std::runtime_error(std::string(call) + " failed (Windows error " + std::to_string(error) + ")");
}
[[noreturn]] void failLast(const char* call) {
    fail(call, ::GetLastError());
}

struct StoreCloser {
    void operator()(void* store) const noexcept { ::CertCloseStore(static_cast<HCERTSTORE>(store), 0); }
};
using UniqueStore = std::unique_ptr<void, StoreCloser>;

struct ContextFreer {
    void operator()(const CERT_CONTEXT* context) const noexcept { ::CertFreeCertificateContext(context); }
};
using UniqueContext = std::unique_ptr<const CERT_CONTEXT, ContextFreer>;

struct KeyCloser {
    void operator()(HKEY key) const noexcept { ::RegCloseKey(key); }
};
using UniqueKey = std::unique_ptr<std::remove_pointer_t<HKEY>, KeyCloser>;

UniqueStore openRoot(RootStore store) {
    const DWORD location =
        store == RootStore::LocalMachine ? CERT_SYSTEM_STORE_LOCAL_MACHINE : CERT_SYSTEM_STORE_CURRENT_USER;
    HCERTSTORE handle =
        ::CertOpenStore(CERT_STORE_PROV_SYSTEM_W, 0, 0, location | CERT_STORE_OPEN_EXISTING_FLAG, L"ROOT");
    if (handle == nullptr) failLast("CertOpenStore(ROOT)");
    return UniqueStore(handle);
}

UniqueContext parse(std::span<const std::uint8_t> der) {
    const CERT_CONTEXT* context =
        ::CertCreateCertificateContext(X509_ASN_ENCODING, der.data(), static_cast<DWORD>(der.size()));
    if (context == nullptr) failLast("CertCreateCertificateContext");
    return UniqueContext(context);
}

std::string commonName(const CERT_CONTEXT* context) {
    char name[256] = {};
    const DWORD length = ::CertGetNameStringA(context, CERT_NAME_ATTR_TYPE, 0,
                                              const_cast<char*>(szOID_COMMON_NAME), name, sizeof name);
    return length > 1 ? std::string(name, length - 1) : std::string();
}

bool sameCertificate(const CERT_CONTEXT* context, std::span<const std::uint8_t> der) {
    return context->cbCertEncoded == der.size() && std::equal(der.begin(), der.end(), context->pbCertEncoded);
}

bool keyExists(const wchar_t* path) {
    HKEY key = nullptr;
    if (::RegOpenKeyExW(HKEY_LOCAL_MACHINE, path, 0, KEY_READ | KEY_WOW64_64KEY, &key) != ERROR_SUCCESS)
        return false;
    ::RegCloseKey(key);
    return true;
}

bool keyEmpty(const wchar_t* path) {
    HKEY raw = nullptr;
    if (::RegOpenKeyExW(HKEY_LOCAL_MACHINE, path, 0, KEY_READ | KEY_WOW64_64KEY, &raw) != ERROR_SUCCESS)
        return false;
    UniqueKey key(raw);
    DWORD subKeys = 0;
    DWORD values = 0;
    if (::RegQueryInfoKeyW(key.get(), nullptr, nullptr, nullptr, &subKeys, nullptr, nullptr, &values, nullptr,
                           nullptr, nullptr, nullptr) != ERROR_SUCCESS)
        return false;
    return subKeys == 0 && values == 0;
}

// The DWORD at HKLM\path\value; false when absent or not a DWORD.
bool readDword(const wchar_t* path, const wchar_t* value, DWORD& out) {
    DWORD size = sizeof out;
    DWORD type = 0;
    const LONG rc = ::RegGetValueW(HKEY_LOCAL_MACHINE, path, value, RRF_RT_REG_DWORD | RRF_SUBKEY_WOW6464KEY,
                                   &type, &out, &size);
    return rc == ERROR_SUCCESS;
}

// Whether HKLM\path\value exists, of any type.
bool valueExists(const wchar_t* path, const wchar_t* value) {
    return ::RegGetValueW(HKEY_LOCAL_MACHINE, path, value, RRF_RT_ANY | RRF_SUBKEY_WOW6464KEY, nullptr,
                          nullptr, nullptr) == ERROR_SUCCESS;
}

void writeDword(const wchar_t* path, const wchar_t* value, DWORD data) {
    HKEY raw = nullptr;
    LONG rc = ::RegCreateKeyExW(HKEY_LOCAL_MACHINE, path, 0, nullptr, 0, KEY_SET_VALUE | KEY_WOW64_64KEY,
                                nullptr, &raw, nullptr);
    if (rc != ERROR_SUCCESS) fail("RegCreateKeyExW", static_cast<DWORD>(rc));
    UniqueKey key(raw);
    rc = ::RegSetValueExW(key.get(), value, 0, REG_DWORD, reinterpret_cast<const BYTE*>(&data), sizeof data);
    if (rc != ERROR_SUCCESS) fail("RegSetValueExW", static_cast<DWORD>(rc));
}

}  // namespace

std::vector<std::uint8_t> derFromPem(std::string_view pem) {
    DWORD size = 0;
    if (!::CryptStringToBinaryA(pem.data(), static_cast<DWORD>(pem.size()), CRYPT_STRING_BASE64HEADER,
                                nullptr, &size, nullptr, nullptr) ||
        size == 0)
        failLast("CryptStringToBinaryA (no PEM certificate)");
    std::vector<std::uint8_t> der(size);
    if (!::CryptStringToBinaryA(pem.data(), static_cast<DWORD>(pem.size()), CRYPT_STRING_BASE64HEADER,
                                der.data(), &size, nullptr, nullptr))
        failLast("CryptStringToBinaryA");
    der.resize(size);
    return der;
}

bool addRoot(std::span<const std::uint8_t> der, RootStore store) {
    const UniqueStore root = openRoot(store);
    if (!::CertAddEncodedCertificateToStore(root.get(), X509_ASN_ENCODING, der.data(),
                                            static_cast<DWORD>(der.size()), CERT_STORE_ADD_NEW, nullptr)) {
        const DWORD error = ::GetLastError();
        if (error == static_cast<DWORD>(CRYPT_E_EXISTS)) return false;
        fail("CertAddEncodedCertificateToStore(ROOT)", error);
    }
    return true;
}

bool hasRoot(std::span<const std::uint8_t> der, RootStore store) {
    const UniqueStore root = openRoot(store);
    const UniqueContext wanted = parse(der);
    const CERT_CONTEXT* found = ::CertFindCertificateInStore(root.get(), X509_ASN_ENCODING, 0,
                                                             CERT_FIND_EXISTING, wanted.get(), nullptr);
    if (found == nullptr) return false;
    ::CertFreeCertificateContext(found);
    return true;
}

std::size_t removeRoots(std::string_view commonNamePrefix, RootStore store,
                        std::span<const std::uint8_t> keep) {
    const UniqueStore root = openRoot(store);
    std::size_t removed = 0;
    const CERT_CONTEXT* context = nullptr;
    // CertEnumCertificatesInStore frees the previous context; deleting takes a duplicate of its own.
    while ((context = ::CertEnumCertificatesInStore(root.get(), context)) != nullptr) {
        if (!commonName(context).starts_with(commonNamePrefix)) continue;
        if (!keep.empty() && sameCertificate(context, keep)) continue;
        if (!::CertDeleteCertificateFromStore(::CertDuplicateCertificateContext(context))) {
            const DWORD error = ::GetLastError();
            ::CertFreeCertificateContext(context);
            fail("CertDeleteCertificateFromStore(ROOT)", error);
        }
        ++removed;
    }
    return removed;
}

FirefoxPolicy enableFirefoxEnterpriseRoots() {
    DWORD current = 0;
    if (readDword(FIREFOX_POLICY_KEY, FIREFOX_POLICY_VALUE, current)) {
        return current != 0 ? FirefoxPolicy::AlreadyOn : FirefoxPolicy::TurnedOffByAdmin;
    }
    // Present but not a DWORD: someone else's setting, not ours to replace.
    if (valueExists(FIREFOX_POLICY_KEY, FIREFOX_POLICY_VALUE)) return FirefoxPolicy::TurnedOffByAdmin;
    DWORD record = 0;
    readDword(RECORD_KEY, RECORD_VALUE, record);  // an earlier install's keys stay recorded
    for (const PolicyKey& key : POLICY_KEYS) {
        if (!keyExists(key.path)) record |= key.createdBit;
    }
    // Record first: a crash between the two writes leaves a record of a value that is not there, which
    // removal handles, never a value of ours without a record.
    writeDword(RECORD_KEY, RECORD_VALUE, record | VALUE_SET_BIT);
    writeDword(FIREFOX_POLICY_KEY, FIREFOX_POLICY_VALUE, 1);
    return FirefoxPolicy::Set;
}

bool removeFirefoxEnterpriseRoots() {
    DWORD record = 0;
    if (!readDword(RECORD_KEY, RECORD_VALUE, record)) return false;
    bool removed = false;
    DWORD current = 0;
    if ((record & VALUE_SET_BIT) != 0 && readDword(FIREFOX_POLICY_KEY, FIREFOX_POLICY_VALUE, current) &&
        current == 1) {
        const LONG rc = ::RegDeleteKeyValueW(HKEY_LOCAL_MACHINE, FIREFOX_POLICY_KEY, FIREFOX_POLICY_VALUE);
        if (rc != ERROR_SUCCESS && rc != ERROR_FILE_NOT_FOUND)
            fail("RegDeleteKeyValueW", static_cast<DWORD>(rc));
        removed = rc == ERROR_SUCCESS;
    }
    for (const PolicyKey& key : POLICY_KEYS) {  // deepest first
        if ((record & key.createdBit) == 0 || !keyEmpty(key.path)) continue;
        const LONG rc = ::RegDeleteKeyExW(HKEY_LOCAL_MACHINE, key.path, KEY_WOW64_64KEY, 0);
        if (rc != ERROR_SUCCESS && rc != ERROR_FILE_NOT_FOUND)
            fail("RegDeleteKeyExW", static_cast<DWORD>(rc));
    }
    const LONG rc = ::RegDeleteKeyValueW(HKEY_LOCAL_MACHINE, RECORD_KEY, RECORD_VALUE);
    if (rc != ERROR_SUCCESS && rc != ERROR_FILE_NOT_FOUND) fail("RegDeleteKeyValueW", static_cast<DWORD>(rc));
    if (keyEmpty(RECORD_KEY)) ::RegDeleteKeyExW(HKEY_LOCAL_MACHINE, RECORD_KEY, KEY_WOW64_64KEY, 0);
    return removed;
}

namespace {

constexpr std::string_view ROOT_NAME_PREFIX = "cardbridge local root";  // NSS_NICKNAME_PREFIX (local_tls.hpp)

void line(std::string& report, std::string_view zh, std::string_view en) {
    report.append(zh).append("  ").append(en).append("\n");
}

int install(std::string_view rootPem, bool firefox, std::string& report) {
    const std::vector<std::uint8_t> der = derFromPem(rootPem);
    const bool added = addRoot(der, RootStore::LocalMachine);
    const std::size_t older = removeRoots(ROOT_NAME_PREFIX, RootStore::LocalMachine, der);
    line(report, added ? "[系统证书库] 已信任本地根证书。" : "[系统证书库] 本地根证书已受信任。",
         added ? "[windows store] trusted the local root."
               : "[windows store] the local root was already trusted.");
    if (older > 0) {
        line(report, "[系统证书库] 已移除旧的本地根证书 " + std::to_string(older) + " 个。",
             "[windows store] removed " + std::to_string(older) + " older local root(s).");
    }
    if (!firefox) return 0;
    switch (enableFirefoxEnterpriseRoots()) {
        case FirefoxPolicy::Set:
            line(report, "[Firefox] 已启用导入系统根证书（重启 Firefox 后生效）。",
                 "[firefox] ImportEnterpriseRoots turned on (Firefox picks it up when restarted).");
            return 0;
        case FirefoxPolicy::AlreadyOn:
            line(report, "[Firefox] 已导入系统根证书。", "[firefox] ImportEnterpriseRoots was already on.");
            return 0;
        case FirefoxPolicy::TurnedOffByAdmin:
            line(report, "[Firefox] 管理员已关闭 ImportEnterpriseRoots，未更改；Firefox 将不信任本地证书。",
                 "[firefox] ImportEnterpriseRoots is turned off by an administrator: left alone, Firefox "
                 "will not trust the local root.");
            return 1;
    }
    return 1;
}

int status(std::string_view rootPem, bool firefox, std::string& report) {
    const bool trusted = hasRoot(derFromPem(rootPem), RootStore::LocalMachine);
    line(report, trusted ? "[系统证书库] 信任本地根证书。" : "[系统证书库] 未信任本地根证书。",
         trusted ? "[windows store] trusts the local root."
                 : "[windows store] does not trust the local root.");
    if (!firefox) return trusted ? 0 : 1;
    const bool on = firefoxEnterpriseRootsOn();
    line(report, on ? "[Firefox] 导入系统根证书。" : "[Firefox] 未导入系统根证书。",
         on ? "[firefox] imports the Windows roots." : "[firefox] does not import the Windows roots.");
    return trusted && on ? 0 : 1;
}

int remove(bool firefox, std::string& report) {
    const std::size_t removed = removeRoots(ROOT_NAME_PREFIX, RootStore::LocalMachine);
    line(report, "[系统证书库] 已移除本地根证书 " + std::to_string(removed) + " 个。",
         "[windows store] removed " + std::to_string(removed) + " local root(s).");
    if (firefox && removeFirefoxEnterpriseRoots()) {
        line(report, "[Firefox] 已撤销本程序设置的策略。",
             "[firefox] removed the policy value cardbridge set.");
    }
    return 0;
}

}  // namespace

int runTrust(TrustCommand command, std::string_view rootPem, bool firefox, std::string& report) noexcept {
    try {
        switch (command) {
            case TrustCommand::Install:
                return install(rootPem, firefox, report);
            case TrustCommand::Status:
                return status(rootPem, firefox, report);
            case TrustCommand::Remove:
                return remove(firefox, report);
        }
    } catch (const std::exception& e) {
        try {
            const bool denied =
                std::string_view(e.what()).find("(Windows error 5)") != std::string_view::npos;
            line(report, denied ? "失败：需要管理员权限。" : "失败。",
                 std::string(denied ? "failed: administrator rights needed (" : "failed (") + e.what() + ")");
        } catch (...) {
        }
    } catch (...) {
    }
    return 1;
}

bool firefoxEnterpriseRootsOn() noexcept {
    DWORD current = 0;
    return readDword(FIREFOX_POLICY_KEY, FIREFOX_POLICY_VALUE, current) && current == 1;
}

}  // namespace cardbridge::localtls::windows

#endif
