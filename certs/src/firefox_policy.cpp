// Editing Firefox's enterprise policy file (policies.json): our entry in Certificates.Install in, out,
// everything else untouched. Pure text → text, so the merge rules are unit-tested without Firefox.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <string>

#include "cardbridge/common/error.hpp"
#include "local_tls_internal.hpp"

namespace cardbridge::localtls::detail {

namespace {

// ordered_json: an administrator's file keeps its key order when we write it back.
using Json = nlohmann::ordered_json;

bool blank(const std::string& text) {
    return std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isspace(c) != 0; });
}

Json parsePolicyFile(const std::string& text) {
    Json doc = Json::parse(text, nullptr, false);
    if (doc.is_discarded()) throw InputError("policies.json is not valid JSON");
    if (!doc.is_object()) throw InputError("policies.json is not a JSON object");
    return doc;
}

// The member `key` of `parent` when it is an object (created when absent); InputError on another type.
Json& objectMember(Json& parent, const char* key, const char* where) {
    if (!parent.contains(key)) parent[key] = Json::object();
    Json& member = parent[key];
    if (!member.is_object()) throw InputError(std::string(where) + " in policies.json is not an object");
    return member;
}

std::string fileNameOf(const std::string& path) {
    return std::filesystem::path(path).filename().string();
}

// Takes our entries out of Install; returns how many.
std::size_t dropOurs(Json& install, const OwnCertificate& isOurs) {
    const auto before = install.size();
    Json kept = Json::array();
    for (auto& entry : install) {
        if (entry.is_string() && isOurs(fileNameOf(entry.get<std::string>()))) continue;
        kept.push_back(std::move(entry));
    }
    install = std::move(kept);
    return before - install.size();
}

std::string render(const Json& doc) {
    return doc.dump(2) + "\n";
}

}  // namespace

PolicyEdit addFirefoxCertificate(const std::optional<std::string>& existing, const std::string& certPath,
                                 const OwnCertificate& isOurs) {
    const bool fresh = !existing || blank(*existing);
    Json doc = fresh ? Json::object() : parsePolicyFile(*existing);
    const Json before = doc;
    Json& policies = objectMember(doc, "policies", "\"policies\"");
    Json& certificates = objectMember(policies, "Certificates", "\"policies.Certificates\"");
    if (!certificates.contains("Install")) certificates["Install"] = Json::array();
    Json& install = certificates["Install"];
    if (!install.is_array())
        throw InputError("\"policies.Certificates.Install\" in policies.json is not a list");
    (void)dropOurs(install, isOurs);
    install.push_back(certPath);
    PolicyEdit edit;
    edit.text = render(doc);
    edit.changed = fresh || doc != before;
    return edit;
}

PolicyEdit removeFirefoxCertificates(const std::string& existing, const OwnCertificate& isOurs) {
    PolicyEdit edit;
    if (blank(existing)) {
        edit.text = existing;
        edit.noPolicies = true;
        return edit;
    }
    Json doc = parsePolicyFile(existing);
    const Json before = doc;
    if (doc.contains("policies")) {
        Json& policies = doc["policies"];
        if (!policies.is_object()) throw InputError("\"policies\" in policies.json is not an object");
        if (policies.contains("Certificates")) {
            Json& certificates = policies["Certificates"];
            if (!certificates.is_object())
                throw InputError("\"policies.Certificates\" in policies.json is not an object");
            bool dropped = false;
            if (certificates.contains("Install")) {
                Json& install = certificates["Install"];
                if (!install.is_array())
                    throw InputError("\"policies.Certificates.Install\" in policies.json is not a list");
                dropped = dropOurs(install, isOurs) > 0;
                if (dropped && install.empty()) certificates.erase("Install");
            }
            // Only a Certificates we emptied goes; an administrator's own empty one stays.
            if (dropped && certificates.empty()) policies.erase("Certificates");
        }
        edit.noPolicies = policies.empty() && doc.size() == 1;
    } else {
        edit.noPolicies = doc.empty();
    }
    edit.changed = doc != before;
    edit.text = edit.changed ? render(doc) : existing;
    return edit;
}

bool firefoxPolicyInstalls(const std::string& existing, const std::string& certPath) {
    const Json doc = Json::parse(existing, nullptr, false);
    if (doc.is_discarded() || !doc.is_object()) return false;
    const auto policies = doc.find("policies");
    if (policies == doc.end() || !policies->is_object()) return false;
    const auto certificates = policies->find("Certificates");
    if (certificates == policies->end() || !certificates->is_object()) return false;
    const auto install = certificates->find("Install");
    if (install == certificates->end() || !install->is_array()) return false;
    return std::any_of(install->begin(), install->end(), [&](const Json& entry) {
        return entry.is_string() && entry.get<std::string>() == certPath;
    });
}

bool samePolicyJson(const std::string& a, const std::string& b) {
    const Json left = Json::parse(a, nullptr, false);
    const Json right = Json::parse(b, nullptr, false);
    return !left.is_discarded() && !right.is_discarded() && left == right;
}

}  // namespace cardbridge::localtls::detail
