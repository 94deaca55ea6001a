// ensureLocalTls and inspectLocalTls: the state folder's root, chain and key, checked and (re)minted.
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <algorithm>
#include <ctime>
#include <optional>
#include <string>
#include <system_error>

#include "cardbridge/common/error.hpp"
#include "cardbridge/common/openssl.hpp"
#include "cardbridge/common/time.hpp"
#include "cardbridge/localtls/local_tls.hpp"
#include "local_tls_internal.hpp"

namespace cardbridge::localtls {

namespace {

using Clock = std::chrono::system_clock;
using X509StorePtr = std::unique_ptr<X509_STORE, OpenSslDeleter<X509_STORE_free>>;
using X509StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, OpenSslDeleter<X509_STORE_CTX_free>>;

struct Paths {
    std::filesystem::path root;
    std::filesystem::path chain;
    std::filesystem::path key;
};

Paths pathsIn(const std::filesystem::path& stateDir) {
    return {stateDir / ROOT_CERT_FILE, stateDir / LEAF_CHAIN_FILE, stateDir / LEAF_KEY_FILE};
}

Finding ok(std::string_view code, std::string zh, std::string en) {
    return {std::string(code), FindingStatus::Ok, std::move(zh), std::move(en)};
}

Finding problem(std::string_view code, std::string zh, std::string en) {
    return {std::string(code), FindingStatus::Problem, std::move(zh), std::move(en)};
}

std::string isoTime(Clock::time_point t) {
    return cardbridge::isoTime(std::chrono::floor<std::chrono::seconds>(t));
}

std::string join(const std::vector<std::string>& parts) {
    std::string out;
    for (const auto& part : parts) out += (out.empty() ? "" : ", ") + part;
    return out;
}

// True when the root has the profile mintRoot gives it: CA with pathLen 0 and critical name constraints.
bool hasRootProfile(X509* root) {
    const uint32_t flags = X509_get_extension_flags(root);
    if ((flags & EXFLAG_CA) == 0 || X509_get_pathlen(root) != 0) return false;
    const int index = X509_get_ext_by_NID(root, NID_name_constraints, -1);
    return index >= 0 && X509_EXTENSION_get_critical(X509_get_ext(root, index)) == 1;
}

bool validAt(X509* cert, std::time_t t) {
    return X509_cmp_time(X509_get0_notBefore(cert), &t) < 0 &&
           X509_cmp_time(X509_get0_notAfter(cert), &t) > 0;
}

// The three files as parsed; any member empty means missing or corrupt.
struct Loaded {
    X509Ptr root;
    std::vector<X509Ptr> chain;
    EvpPkeyPtr key;
};

// Makes the state folder exist and be owner-only (it holds the leaf's private key).
void prepareStateDir(const std::filesystem::path& stateDir) {
    std::error_code ec;
    std::filesystem::create_directories(stateDir, ec);
    if (ec) throw FatalError("cannot create " + stateDir.string() + ": " + ec.message());
    std::filesystem::permissions(stateDir, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::replace, ec);
    if (ec) throw FatalError("cannot set permissions 0700 on " + stateDir.string() + ": " + ec.message());
}

}  // namespace

std::string_view toString(FindingStatus status) {
    switch (status) {
        case FindingStatus::Ok:
            return "ok";
        case FindingStatus::Problem:
            return "problem";
        case FindingStatus::Unknown:
            return "unknown";
    }
    return "unknown";
}

namespace detail {

int verifyLeaf(X509* leaf, X509* root, std::optional<Clock::time_point> at) {
    X509StorePtr store(X509_STORE_new());
    if (!store || X509_STORE_add_cert(store.get(), root) != 1) throwOpenSsl("X509_STORE_add_cert");
    X509StoreCtxPtr ctx(X509_STORE_CTX_new());
    if (!ctx || X509_STORE_CTX_init(ctx.get(), store.get(), leaf, nullptr) != 1)
        throwOpenSsl("X509_STORE_CTX_init");
    X509_VERIFY_PARAM* param = X509_STORE_CTX_get0_param(ctx.get());
    if (at) {
        X509_VERIFY_PARAM_set_time(param, Clock::to_time_t(*at));
    } else {
        X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_NO_CHECK_TIME);
    }
    X509_VERIFY_PARAM_set_flags(param, X509_V_FLAG_X509_STRICT);
    if (X509_STORE_CTX_set_purpose(ctx.get(), X509_PURPOSE_SSL_SERVER) != 1) throwOpenSsl("set_purpose");
    const int rc = X509_verify_cert(ctx.get());
    (void)openSslErrors("");  // a failed verification leaves queue entries; the code below says it all
    if (rc == 1) return X509_V_OK;
    const int error = X509_STORE_CTX_get_error(ctx.get());
    return error == X509_V_OK ? X509_V_ERR_UNSPECIFIED : error;
}

std::string verifyErrorText(int code) {
    return X509_verify_cert_error_string(code);
}

bool coversLoopbackNames(X509* leaf) {
    const std::string dns(LOOPBACK_DNS_NAME), ipv4(LOOPBACK_IPV4), ipv6(LOOPBACK_IPV6);
    // Browsers ignore the subject CN, so only the SAN counts.
    const bool covered =
        X509_check_host(leaf, dns.c_str(), dns.size(), X509_CHECK_FLAG_NEVER_CHECK_SUBJECT, nullptr) == 1 &&
        X509_check_ip_asc(leaf, ipv4.c_str(), 0) == 1 && X509_check_ip_asc(leaf, ipv6.c_str(), 0) == 1;
    (void)openSslErrors("");
    return covered;
}

}  // namespace detail

std::vector<Finding> inspectLocalTls(const std::filesystem::path& stateDir, Clock::time_point now) {
    std::vector<Finding> out;
    const Paths paths = pathsIn(stateDir);

    std::vector<std::string> missing;
    for (const auto* path : {&paths.root, &paths.chain, &paths.key}) {
        std::error_code ec;
        if (!std::filesystem::is_regular_file(*path, ec)) missing.push_back(path->filename().string());
    }
    if (!missing.empty()) {
        out.push_back(problem(FINDING_FILES,
                              "TLS 文件缺失：" + join(missing) + "（位于 " + stateDir.string() + "）",
                              "TLS files missing: " + join(missing) + " (in " + stateDir.string() + ")"));
        return out;
    }

    Loaded loaded;
    std::vector<std::string> corrupt;
    if (const auto pem = detail::readSmallFile(paths.root)) {
        auto certs = detail::parseCertificates(*pem);
        if (!certs.empty()) loaded.root = std::move(certs.front());
    }
    if (!loaded.root) corrupt.push_back(std::string(ROOT_CERT_FILE));
    if (const auto pem = detail::readSmallFile(paths.chain)) loaded.chain = detail::parseCertificates(*pem);
    if (loaded.chain.empty()) corrupt.push_back(std::string(LEAF_CHAIN_FILE));
    loaded.key = detail::readPrivateKeyFile(paths.key);
    if (!loaded.key) corrupt.push_back(std::string(LEAF_KEY_FILE));
    if (!corrupt.empty()) {
        out.push_back(problem(FINDING_FILES, "TLS 文件无法读取或已损坏：" + join(corrupt),
                              "TLS files unreadable or corrupt: " + join(corrupt)));
        return out;
    }
    out.push_back(ok(FINDING_FILES, "TLS 文件齐全", "TLS files present"));
    X509* root = loaded.root.get();
    X509* leaf = loaded.chain.front().get();

    if (detail::isOwnerOnly(paths.key)) {
        out.push_back(ok(FINDING_KEY_PERMISSIONS, "私钥文件仅所有者可读", "Private key file is owner-only"));
    } else {
        out.push_back(
            problem(FINDING_KEY_PERMISSIONS, "私钥文件权限过宽（应属于本用户且为 0600）",
                    "Private key file permissions too open (must be owned by this user, mode 0600)"));
    }

    const bool keyMatches = X509_check_private_key(leaf, loaded.key.get()) == 1;
    (void)openSslErrors("");
    if (keyMatches) {
        out.push_back(ok(FINDING_KEY_MATCH, "私钥与证书匹配", "Private key matches the certificate"));
    } else {
        out.push_back(
            problem(FINDING_KEY_MATCH, "私钥与证书不匹配", "Private key does not match the certificate"));
    }

    const int verify = detail::verifyLeaf(leaf, root, std::nullopt);
    const bool chainEndsInRoot = loaded.chain.size() >= 2 && X509_cmp(loaded.chain.back().get(), root) == 0;
    if (verify == X509_V_OK && chainEndsInRoot) {
        out.push_back(ok(FINDING_CHAIN, "证书链可由本机根证书验证",
                         "Certificate chain verifies against the local root"));
    } else if (verify != X509_V_OK) {
        out.push_back(problem(
            FINDING_CHAIN, "证书链无法由本机根证书验证：" + detail::verifyErrorText(verify),
            "Certificate chain does not verify against the local root: " + detail::verifyErrorText(verify)));
    } else {
        out.push_back(problem(FINDING_CHAIN, "证书链文件未以本机根证书结尾",
                              "Certificate chain file does not end with the local root"));
    }

    if (hasRootProfile(root)) {
        out.push_back(ok(FINDING_ROOT_PROFILE, "本机根证书仅限签发 localhost、127.0.0.1、::1",
                         "Local root is name-constrained to localhost, 127.0.0.1, ::1"));
    } else {
        out.push_back(problem(FINDING_ROOT_PROFILE, "本机根证书缺少名称约束或 CA 限制",
                              "Local root lacks its name constraints or CA limits"));
    }

    if (detail::coversLoopbackNames(leaf)) {
        out.push_back(ok(FINDING_LEAF_NAMES, "证书覆盖 localhost、127.0.0.1、::1",
                         "Certificate covers localhost, 127.0.0.1, ::1"));
    } else {
        out.push_back(problem(FINDING_LEAF_NAMES, "证书未覆盖 localhost、127.0.0.1、::1",
                              "Certificate does not cover localhost, 127.0.0.1, ::1"));
    }

    const std::time_t t = Clock::to_time_t(now);
    const Clock::time_point end = std::min(detail::notAfter(leaf), detail::notAfter(root));
    if (validAt(leaf, t) && validAt(root, t)) {
        out.push_back(ok(FINDING_EXPIRY, "证书在有效期内（至 " + isoTime(end) + "）",
                         "Certificates valid until " + isoTime(end)));
    } else {
        out.push_back(problem(FINDING_EXPIRY, "证书已过期或尚未生效（有效期至 " + isoTime(end) + "）",
                              "Certificates expired or not yet valid (valid until " + isoTime(end) + ")"));
    }

    const auto left = std::chrono::floor<std::chrono::days>(end - now);
    const std::string days = std::to_string(left.count());
    if (end - now >= RENEWAL_WINDOW) {
        out.push_back(ok(FINDING_RENEWAL, "证书无需续期（剩余 " + days + " 天）",
                         "No renewal due (" + days + " days left)"));
    } else {
        out.push_back(problem(FINDING_RENEWAL,
                              "证书需要续期（剩余 " + days + " 天），守护进程启动时会重新签发",
                              "Renewal due (" + days + " days left); the daemon re-mints at start"));
    }
    return out;
}

LocalTlsFiles ensureLocalTls(const std::filesystem::path& stateDir, Clock::time_point now) {
    prepareStateDir(stateDir);
    const Paths paths = pathsIn(stateDir);
    LocalTlsFiles result{paths.root, paths.chain, paths.key, {}, {}, false, {}};

    const std::vector<Finding> findings = inspectLocalTls(stateDir, now);
    const auto firstProblem = std::find_if(findings.begin(), findings.end(),
                                           [](const Finding& f) { return f.status != FindingStatus::Ok; });
    if (firstProblem == findings.end()) {
        const auto rootPem = detail::readSmallFile(paths.root);
        const auto chainPem = detail::readSmallFile(paths.chain);
        if (rootPem && chainPem) {
            auto roots = detail::parseCertificates(*rootPem);
            auto chain = detail::parseCertificates(*chainPem);
            if (!roots.empty() && !chain.empty()) {
                result.rootSha256Fingerprint = detail::sha256Fingerprint(roots.front().get());
                result.leafNotAfter = detail::notAfter(chain.front().get());
                return result;
            }
        }
        result.reason = "TLS files changed while being checked";
    } else {
        result.reason = firstProblem->messageEn;
    }

    detail::CertAndKey root = detail::mintRoot(detail::rootCommonName(now), now);
    const detail::CertAndKey leaf =
        detail::mintLeaf(root, {std::string(LOOPBACK_DNS_NAME)},
                         {std::string(LOOPBACK_IPV4), std::string(LOOPBACK_IPV6)}, now);
    // The root's private key has signed the one leaf it will ever sign. Destroy it now: it was never
    // serialised and is never written anywhere, so the root cannot vouch for anything else, ever.
    // EVP_PKEY_free clears the EC private scalar (BN_clear_free) before releasing the memory.
    root.key.reset();

    if (const int verify = detail::verifyLeaf(leaf.cert.get(), root.cert.get(), now); verify != X509_V_OK)
        throw FatalError("freshly minted local TLS chain does not verify: " +
                         detail::verifyErrorText(verify));

    const std::string rootPem = detail::certificatePem(root.cert.get());
    const std::string chainPem = detail::certificatePem(leaf.cert.get()) + rootPem;
    // Stage all three first, then rename them back to back: a failure leaves the old set untouched, and a
    // reader racing the renames sees a mismatched set for microseconds at most (the next check re-mints).
    detail::StagedFile stagedKey(paths.key, leaf.key.get());
    detail::StagedFile stagedChain(paths.chain, chainPem, 0644);
    detail::StagedFile stagedRoot(paths.root, rootPem, 0644);
    stagedKey.commit();
    stagedChain.commit();
    stagedRoot.commit();

    result.rootSha256Fingerprint = detail::sha256Fingerprint(root.cert.get());
    result.leafNotAfter = detail::notAfter(leaf.cert.get());
    result.minted = true;
    return result;
}

}  // namespace cardbridge::localtls
