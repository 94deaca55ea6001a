#include "cardbridge/authority/core/config.hpp"

#include <algorithm>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include "cardbridge/common/error.hpp"

namespace cardbridge::authority {

namespace {

using nlohmann::json;

// Walks one JSON object, reading known keys and reporting unknown ones with their dotted path.
class Reader {
  public:
    Reader(const json& object, std::string prefix, const std::filesystem::path& baseDir,
           std::vector<std::string>& warnings)
        : object_(object), prefix_(std::move(prefix)), baseDir_(baseDir), warnings_(warnings) {
        if (!object_.is_object()) throw InputError("config: '" + name("") + "' must be an object");
    }

    void skip(const std::string& key) { seen_.insert(key); }

    const json* find(const std::string& key, bool required) {
        seen_.insert(key);
        const auto it = object_.find(key);
        if (it == object_.end() || it->is_null()) {
            if (required) throw InputError("config: missing required key '" + name(key) + "'");
            return nullptr;
        }
        return &*it;
    }

    void string(const std::string& key, std::string& out, bool required = false) {
        if (const json* v = find(key, required)) {
            if (!v->is_string()) throw InputError("config: '" + name(key) + "' must be a string");
            out = v->get<std::string>();
        }
    }

    void path(const std::string& key, std::filesystem::path& out, bool required = false) {
        std::string text;
        string(key, text, required);
        if (!text.empty()) out = resolve(text);
        if (required && text.empty()) throw InputError("config: '" + name(key) + "' must not be empty");
    }

    void paths(const std::string& key, std::vector<std::filesystem::path>& out, bool required = false) {
        if (const json* v = find(key, required)) {
            if (!v->is_array()) throw InputError("config: '" + name(key) + "' must be an array of paths");
            out.clear();
            for (const auto& item : *v) {
                if (!item.is_string() || item.get<std::string>().empty()) {
                    throw InputError("config: '" + name(key) + "' must hold non-empty strings");
                }
                out.push_back(resolve(item.get<std::string>()));
            }
            if (required && out.empty()) throw InputError("config: '" + name(key) + "' must not be empty");
        }
    }

    template <class Int>
    void integer(const std::string& key, Int& out, long long min, long long max) {
        if (const json* v = find(key, false)) {
            if (!v->is_number_integer()) throw InputError("config: '" + name(key) + "' must be an integer");
            const auto value = v->get<long long>();
            if (value < min || value > max) {
                throw InputError("config: '" + name(key) + "' must be between " + std::to_string(min) +
                                 " and " + std::to_string(max));
            }
            out = static_cast<Int>(value);
        }
    }

    void finish() {
        for (const auto& [key, value] : object_.items()) {
            if (!seen_.contains(key)) warnings_.push_back("unknown key '" + name(key) + "'");
        }
    }

    std::string name(const std::string& key) const {
        if (prefix_.empty()) return key;
        return key.empty() ? prefix_ : prefix_ + "." + key;
    }

  private:
    std::filesystem::path resolve(const std::string& text) const {
        std::filesystem::path p(text);
        return p.is_absolute() || baseDir_.empty() ? p : baseDir_ / p;
    }

    const json& object_;
    std::string prefix_;
    const std::filesystem::path& baseDir_;
    std::vector<std::string>& warnings_;
    std::set<std::string> seen_;
};

}  // namespace

LoadedAuthorityConfig parseAuthorityConfigJson(const json& root, const std::filesystem::path& baseDir,
                                               const std::vector<std::string>& otherKeys) {
    LoadedAuthorityConfig loaded;
    AuthorityConfig& c = loaded.config;
    Reader top(root, "", baseDir, loaded.warnings);
    for (const auto& key : otherKeys) top.skip(key);
    top.path("dataDir", c.dataDir, true);
    top.path("databasePath", c.databasePath);
    top.paths("issuingCaFiles", c.issuingCaFiles, true);
    top.path("masterKeyFile", c.masterKeyFile, true);
    top.path("idKeyFile", c.idKeyFile, true);
    top.path("attachmentKeyFile", c.attachmentKeyFile, true);
    top.integer("attachmentRetentionDays", c.attachmentRetentionDays, 1, 3650);
    top.integer("purgeIntervalMinutes", c.purgeIntervalMinutes, 1, 24 * 60);
    top.integer("uniformTimingMillis", c.uniformTimingMillis, 0, 10000);
    top.string("offlineRouteText", c.offlineRouteText);
    top.path("holidayCalendarFile", c.holidayCalendarFile);
    if (const json* sms = top.find("sms", false)) {
        Reader r(*sms, "sms", baseDir, loaded.warnings);
        r.string("kind", c.sms.kind);
        r.path("outboxPath", c.sms.outboxPath);
        r.string("webhookUrl", c.sms.webhookUrl);
        r.paths("webhookCaFiles", c.sms.webhookCaFiles);
        r.integer("webhookTimeoutSeconds", c.sms.webhookTimeoutSeconds, 1, 120);
        r.finish();
        if (c.sms.kind != "outbox" && c.sms.kind != "webhook") {
            throw InputError("config: 'sms.kind' must be \"outbox\" or \"webhook\"");
        }
        if (c.sms.kind == "webhook" && c.sms.webhookUrl.empty()) {
            throw InputError("config: 'sms.webhookUrl' is required when sms.kind is \"webhook\"");
        }
    }
    if (const json* limits = top.find("limits", false)) {
        Reader r(*limits, "limits", baseDir, loaded.warnings);
        auto& l = c.limits;
        r.integer("createPerCardPerHour", l.createPerCardPerHour, 1, 10000);
        r.integer("createMatchesPerCardPerHour", l.createMatchesPerCardPerHour, 1, 10000);
        r.integer("createPerAddressPerHour", l.createPerAddressPerHour, 1, 100000);
        r.integer("attachmentMaxBytes", l.attachmentMaxBytes, 1,
                  static_cast<long long>(rules::MAX_ATTACHMENT_BYTES));
        r.integer("reviewWorkingDays", l.reviewWorkingDays, 1, 30);
        r.integer("approvalValidDays", l.approvalValidDays, 1, 365);
        r.integer("smsAuthorisationMinutes", l.smsAuthorisationMinutes, 1, 24 * 60);
        r.finish();
    }
    top.finish();
    if (c.databasePath.empty()) c.databasePath = c.dataDir / "authority.db";
    if (c.sms.kind == "outbox" && c.sms.outboxPath.empty()) c.sms.outboxPath = c.dataDir / "sms-outbox.jsonl";
    return loaded;
}

LoadedAuthorityConfig parseAuthorityConfig(const std::string& jsonText,
                                           const std::filesystem::path& baseDir) {
    json root;
    try {
        root = json::parse(jsonText);
    } catch (const json::exception& e) {  // parse_error, and out_of_range for a number beyond a double
        throw InputError(std::string("config: not valid JSON: ") + e.what());
    }
    return parseAuthorityConfigJson(root, baseDir);
}

LoadedAuthorityConfig loadAuthorityConfig(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw FatalError("config: cannot read " + path.string());
    std::ostringstream text;
    text << in.rdbuf();
    return parseAuthorityConfig(text.str(), path.parent_path());
}

}  // namespace cardbridge::authority
