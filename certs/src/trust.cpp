// Whether the local root is trusted by the system store (OpenSSL's default paths) and by the NSS database
// browsers use, and putting it into that database with certutil.
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <initializer_list>
#include <string>
#include <system_error>
#include <vector>

#include "cardbridge/common/error.hpp"
#include "cardbridge/common/openssl.hpp"
#include "cardbridge/localtls/local_tls.hpp"
#include "local_tls_internal.hpp"

namespace cardbridge::localtls {

namespace {

using X509StorePtr = std::unique_ptr<X509_STORE, OpenSslDeleter<X509_STORE_free>>;
using X509StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, OpenSslDeleter<X509_STORE_CTX_free>>;

constexpr std::string_view DEBIAN_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";
constexpr std::string_view CERTUTIL = "certutil";
constexpr std::string_view CERTUTIL_MISSING = "certutil not found (install the libnss3-tools package)";
// A browser profile holds a few dozen entries at most; bound the per-entry certutil calls anyway.
constexpr std::size_t MAX_NSS_ENTRIES = 200;

X509Ptr parseRoot(std::string_view rootPem) {
    auto certs = detail::parseCertificates(rootPem);
    if (certs.empty()) throw InputError("no certificate in the local root PEM");
    return std::move(certs.front());
}

std::string trim(std::string text) {
    const auto notSpace = [](unsigned char c) { return !std::isspace(c); };
    text.erase(text.begin(), std::find_if(text.begin(), text.end(), notSpace));
    text.erase(std::find_if(text.rbegin(), text.rend(), notSpace).base(), text.end());
    return text;
}

std::string envOr(const char* name, const char* fallback) {
    const char* value = std::getenv(name);
    return value && *value ? value : fallback;
}

std::string sqlDb(const std::filesystem::path& dir) {
    return "sql:" + dir.string();
}

detail::ProcessResult certutil(std::initializer_list<std::string> args) {
    std::vector<std::string> argv{std::string(CERTUTIL)};
    argv.insert(argv.end(), args);
    return detail::runProcess(argv);
}

// The SSL (first) trust field holds "C": trusted CA for issuing TLS server certificates.
bool trustedForTls(std::string_view trust) {
    const auto comma = trust.find(',');
    const std::string_view ssl = trust.substr(0, comma);
    return ssl.find('C') != std::string_view::npos;
}

bool hasPrefix(std::string_view text, std::string_view prefix) {
    return text.substr(0, prefix.size()) == prefix;
}

}  // namespace

namespace detail {

TrustCheck isTrustedByStore(X509* root, const std::string& caFile, const std::string& caDir) {
    X509StorePtr store(X509_STORE_new());
    if (!store) throwOpenSsl("X509_STORE_new");
    std::error_code ec;
    if (!caFile.empty() && std::filesystem::is_regular_file(caFile, ec)) {
        X509_LOOKUP* lookup = X509_STORE_add_lookup(store.get(), X509_LOOKUP_file());
        if (!lookup) throwOpenSsl("X509_LOOKUP_file");
        (void)X509_LOOKUP_load_file(lookup, caFile.c_str(), X509_FILETYPE_PEM);
    }
    if (!caDir.empty()) {
        X509_LOOKUP* lookup = X509_STORE_add_lookup(store.get(), X509_LOOKUP_hash_dir());
        if (!lookup) throwOpenSsl("X509_LOOKUP_hash_dir");
        (void)X509_LOOKUP_add_dir(lookup, caDir.c_str(), X509_FILETYPE_PEM);
    }
    X509StoreCtxPtr ctx(X509_STORE_CTX_new());
    if (!ctx || X509_STORE_CTX_init(ctx.get(), store.get(), nullptr, nullptr) != 1)
        throwOpenSsl("X509_STORE_CTX_init");
    STACK_OF(X509)* found = X509_STORE_CTX_get1_certs(ctx.get(), X509_get_subject_name(root));
    bool match = false;
    for (int i = 0; found && i < sk_X509_num(found); ++i)
        match = match || X509_cmp(sk_X509_value(found, i), root) == 0;
    sk_X509_pop_free(found, X509_free);
    (void)openSslErrors("");  // lookups that find nothing queue errors
    const std::string where = caFile + (caFile.empty() || caDir.empty() ? "" : " or ") + caDir;
    if (match) return {TrustState::Trusted, "found in " + where};
    return {TrustState::NotTrusted, "not in " + where};
}

std::vector<NssEntry> parseCertutilList(std::string_view output) {
    // certutil -L prints a two-line header ("Certificate Nickname … Trust Attributes" and
    // "SSL,S/MIME,JAR/XPI"), a blank line, then "<nickname><spaces><trust>" per certificate.
    std::vector<NssEntry> entries;
    bool pastHeader = false;
    std::size_t pos = 0;
    while (pos < output.size()) {
        const auto end = std::min(output.find('\n', pos), output.size());
        const std::string line = trim(std::string(output.substr(pos, end - pos)));
        pos = end + 1;
        if (!pastHeader) {
            pastHeader = line.find("SSL,S/MIME,JAR/XPI") != std::string::npos;
            continue;
        }
        const auto split = line.find_last_of(" \t");
        if (line.empty() || split == std::string::npos) continue;
        const std::string trust = line.substr(split + 1);
        if (std::count(trust.begin(), trust.end(), ',') != 2) continue;
        entries.push_back({trim(line.substr(0, split)), trust});
    }
    return entries;
}

std::size_t removeOurNssEntries(const std::filesystem::path& nssDbDir) {
    const std::string db = sqlDb(nssDbDir);
    const auto list = certutil({"-L", "-d", db});
    if (!list.started) throw FatalError(std::string(CERTUTIL_MISSING));
    if (list.exitCode != 0) throw FatalError("certutil -L failed: " + trim(list.err));
    std::size_t removed = 0;
    for (const auto& entry : parseCertutilList(list.out)) {
        if (!hasPrefix(entry.nickname, NSS_NICKNAME_PREFIX)) continue;
        // Several certificates can share a nickname; -D removes one per call.
        for (int i = 0; i < 16; ++i) {
            const auto gone = certutil({"-D", "-d", db, "-n", entry.nickname});
            if (!gone.started || gone.exitCode != 0) break;
            ++removed;
        }
    }
    return removed;
}

}  // namespace detail

TrustCheck isTrustedBySystem(std::string_view rootPem) {
    const X509Ptr root = parseRoot(rootPem);
    const std::string caFile = envOr(X509_get_default_cert_file_env(), X509_get_default_cert_file());
    const std::string caDir = envOr(X509_get_default_cert_dir_env(), X509_get_default_cert_dir());
    TrustCheck check = detail::isTrustedByStore(root.get(), caFile, caDir);
    std::error_code ec;
    if (check.state != TrustState::Trusted && std::filesystem::exists(DEBIAN_BUNDLE, ec) &&
        !std::filesystem::equivalent(caFile, DEBIAN_BUNDLE, ec)) {
        TrustCheck bundle = detail::isTrustedByStore(root.get(), std::string(DEBIAN_BUNDLE), "");
        if (bundle.state == TrustState::Trusted) return bundle;
        check.detail += " or " + std::string(DEBIAN_BUNDLE);
    }
    return check;
}

std::filesystem::path defaultNssDbDir() {
    const char* home = std::getenv("HOME");
    if (!home || !*home) return {};
    return std::filesystem::path(home) / ".pki" / "nssdb";
}

std::string nssNickname(std::string_view rootSha256Fingerprint) {
    return std::string(NSS_NICKNAME_PREFIX) + " " + std::string(rootSha256Fingerprint.substr(0, 16));
}

TrustCheck isTrustedByNss(std::string_view rootPem, const std::filesystem::path& nssDbDir) {
    const X509Ptr root = parseRoot(rootPem);
    if (nssDbDir.empty())
        return {TrustState::Unknown, "HOME is not set, so there is no NSS database to check"};
    std::error_code ec;
    if (!std::filesystem::exists(nssDbDir / "cert9.db", ec))
        return {TrustState::NotTrusted, "no NSS database at " + nssDbDir.string()};
    const auto list = certutil({"-L", "-d", sqlDb(nssDbDir)});
    if (!list.started) return {TrustState::Unknown, std::string(CERTUTIL_MISSING)};
    if (list.exitCode != 0) return {TrustState::Unknown, "certutil -L failed: " + trim(list.err)};

    auto entries = detail::parseCertutilList(list.out);
    // Ours first: the usual answer then costs one more certutil call.
    std::stable_partition(entries.begin(), entries.end(), [](const detail::NssEntry& e) {
        return hasPrefix(e.nickname, NSS_NICKNAME_PREFIX);
    });
    if (entries.size() > MAX_NSS_ENTRIES) entries.resize(MAX_NSS_ENTRIES);
    std::string untrusted;
    for (const auto& entry : entries) {
        const auto shown = certutil({"-L", "-d", sqlDb(nssDbDir), "-n", entry.nickname, "-a"});
        if (!shown.started || shown.exitCode != 0) continue;
        const auto certs = detail::parseCertificates(shown.out);
        const bool same = std::any_of(certs.begin(), certs.end(),
                                      [&](const X509Ptr& c) { return X509_cmp(c.get(), root.get()) == 0; });
        if (!same) continue;
        if (trustedForTls(entry.trust))
            return {TrustState::Trusted,
                    "in " + nssDbDir.string() + " as \"" + entry.nickname + "\" with trust " + entry.trust};
        untrusted = " (present as \"" + entry.nickname + "\" but trust " + entry.trust + " lacks C)";
    }
    return {TrustState::NotTrusted, "not trusted in " + nssDbDir.string() + untrusted};
}

void trustInNss(const std::filesystem::path& rootPemPath, const std::filesystem::path& nssDbDir,
                std::string_view nickname) {
    if (nickname.empty()) throw InputError("empty NSS nickname");
    if (nssDbDir.empty()) throw InputError("no NSS database folder (HOME unset?)");
    const auto rootPem = detail::readSmallFile(rootPemPath);
    if (!rootPem) throw InputError("cannot read " + rootPemPath.string());
    (void)parseRoot(*rootPem);

    std::error_code ec;
    if (!std::filesystem::exists(nssDbDir, ec)) {
        std::filesystem::create_directories(nssDbDir, ec);
        if (ec) throw FatalError("cannot create " + nssDbDir.string() + ": " + ec.message());
        std::filesystem::permissions(nssDbDir, std::filesystem::perms::owner_all,
                                     std::filesystem::perm_options::replace, ec);
    }
    const std::string db = sqlDb(nssDbDir);
    const auto run = [](const char* what, const detail::ProcessResult& r) {
        if (!r.started) throw FatalError(std::string(CERTUTIL_MISSING));
        if (r.exitCode != 0) throw FatalError(std::string("certutil ") + what + " failed: " + trim(r.err));
    };
    if (!std::filesystem::exists(nssDbDir / "cert9.db", ec))
        run("-N", certutil({"-N", "-d", db, "--empty-password"}));

    (void)detail::removeOurNssEntries(nssDbDir);
    run("-A",
        certutil({"-A", "-d", db, "-n", std::string(nickname), "-t", "C,,", "-i", rootPemPath.string()}));

    const TrustCheck check = isTrustedByNss(*rootPem, nssDbDir);
    if (check.state != TrustState::Trusted)
        throw FatalError("local root added to NSS but not trusted: " + check.detail);
}

std::vector<Finding> inspectLocalTrust(const std::filesystem::path& stateDir,
                                       const std::filesystem::path& nssDbDir) {
    const auto rootPem = detail::readSmallFile(stateDir / ROOT_CERT_FILE);
    if (!rootPem || detail::parseCertificates(*rootPem).empty()) return {};
    std::vector<Finding> out;

    const TrustCheck system = isTrustedBySystem(*rootPem);
    switch (system.state) {
        case TrustState::Trusted:
            out.push_back({std::string(FINDING_TRUST_SYSTEM), FindingStatus::Ok, "系统证书库信任本机根证书",
                           "System trust store trusts the local root (" + system.detail + ")"});
            break;
        case TrustState::NotTrusted:
            out.push_back({std::string(FINDING_TRUST_SYSTEM), FindingStatus::Problem,
                           "系统证书库未信任本机根证书（请运行 sudo cardbridged trust install）",
                           "System trust store does not trust the local root (" + system.detail +
                               "); run sudo cardbridged trust install"});
            break;
        case TrustState::Unknown:
            out.push_back({std::string(FINDING_TRUST_SYSTEM), FindingStatus::Unknown, "无法检查系统证书库",
                           "Cannot check the system trust store: " + system.detail});
            break;
    }

    const TrustCheck nss = isTrustedByNss(*rootPem, nssDbDir);
    const std::string where = nssDbDir.string();
    switch (nss.state) {
        case TrustState::Trusted:
            out.push_back({std::string(FINDING_TRUST_NSS), FindingStatus::Ok,
                           "浏览器使用的 NSS 数据库（" + where + "）信任本机根证书",
                           "Browser NSS database trusts the local root (" + nss.detail + ")"});
            break;
        case TrustState::NotTrusted:
            out.push_back({std::string(FINDING_TRUST_NSS), FindingStatus::Problem,
                           "浏览器使用的 NSS 数据库（" + where +
                               "）未信任本机根证书，浏览器会报证书错误（请运行 cardbridged trust install）",
                           "Browser NSS database does not trust the local root, browsers will show a "
                           "certificate error (" +
                               nss.detail + "); run cardbridged trust install"});
            break;
        case TrustState::Unknown:
            out.push_back({std::string(FINDING_TRUST_NSS), FindingStatus::Unknown,
                           "无法检查浏览器使用的 NSS 数据库（" + nss.detail + "）",
                           "Cannot check the browser NSS database: " + nss.detail});
            break;
    }
    return out;
}

}  // namespace cardbridge::localtls
