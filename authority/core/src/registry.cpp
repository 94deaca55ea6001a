#include "cardbridge/authority/core/registry.hpp"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cardbridge/authority/core/errors.hpp"
#include "cardbridge/common/certificate.hpp"
#include "cardbridge/common/digest.hpp"
#include "cardbridge/rules/working_days.hpp"
#include "matching.hpp"

namespace cardbridge::authority {

namespace detail {

void requireValid(const rules::ValidatedHandler& v) {
    if (v.ok()) return;
    nlohmann::json fields = nlohmann::json::array();
    for (const auto& e : v.errors)
        fields.push_back({{"field", e.field}, {"problem", std::string(e.codeName())}});
    const auto& first = v.errors.front();
    fail(reason::FORM_INVALID, "form field " + first.field + " invalid",
         {{"field", first.field}, {"problem", std::string(first.codeName())}, {"fields", fields}});
}

std::string idHash(const Secret& idKey, rules::IdType type, std::string_view normalisedNumber) {
    std::string input = "cardbridge-id-v1";
    input.push_back('\0');
    input += rules::idTypeCode(type);
    input.push_back('\0');
    input += normalisedNumber;
    std::string hash = toLowerHex(hmacSha256(
        idKey.bytes(), ByteView(reinterpret_cast<const std::uint8_t*>(input.data()), input.size())));
    wipe(input);
    return hash;
}

std::string nameKey(std::string_view name) {
    std::string key = rules::normalizeName(name).value_or(std::string(name));
    std::transform(key.begin(), key.end(), key.begin(), [](char c) {
        return static_cast<unsigned char>(c) < 0x80
                   ? static_cast<char>(std::tolower(static_cast<unsigned char>(c)))
                   : c;
    });
    return key;
}

std::string maskFromLastFour(std::string_view idTypeName, std::string_view lastFour) {
    const auto type = rules::parseIdType(idTypeName);
    const bool eighteen = type == rules::IdType::ResidentId || type == rules::IdType::HmtResidencePermit ||
                          type == rules::IdType::ForeignPermanentResident;
    return std::string(eighteen ? 14 : 4, '*') + std::string(lastFour);
}

std::string checkCardSerial(std::string_view serial) {
    while (!serial.empty() && std::isspace(static_cast<unsigned char>(serial.front())) != 0)
        serial.remove_prefix(1);
    while (!serial.empty() && std::isspace(static_cast<unsigned char>(serial.back())) != 0)
        serial.remove_suffix(1);
    const bool printable = std::all_of(serial.begin(), serial.end(), [](char c) {
        return static_cast<unsigned char>(c) > 0x20 && static_cast<unsigned char>(c) < 0x7F;
    });
    if (serial.empty() || serial.size() > 64 || !printable) {
        fail(reason::FORM_INVALID, "card serial invalid", {{"field", "cardSerial"}, {"problem", "format"}});
    }
    return std::string(serial);
}

std::string shanghaiDateText(Seconds t) {
    const auto ymd = rules::shanghaiDate(t);
    char buffer[16];
    std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
    return buffer;
}

}  // namespace detail

Registry::Registry(Storage& storage, const IssuerTrust& trust, const AuthorityKeys& keys, const Clock& clock)
    : storage_(storage), trust_(trust), keys_(keys), clock_(clock) {}

std::int64_t Registry::enroll(const Enrollment& e, const std::string& actor) {
    const Seconds now = clock_.now();
    std::optional<Certificate> cert;
    try {
        cert = e.certificate.find("-----BEGIN") != std::string::npos
                   ? Certificate::fromPem(e.certificate)
                   : Certificate::fromDer(ByteView(
                         reinterpret_cast<const std::uint8_t*>(e.certificate.data()), e.certificate.size()));
    } catch (const InputError& error) {
        fail(reason::CERT_INVALID, std::string("enrolment certificate unreadable: ") + error.what());
    }
    // An expired certificate may be enrolled (records of the past); an unknown issuer may not.
    if (trust_.check(*cert, now) == TrustResult::Untrusted) {
        fail(reason::CERT_UNTRUSTED, "enrolment certificate does not chain to a configured issuing CA");
    }
    const std::string cardSerial = detail::checkCardSerial(e.cardSerial);
    rules::HandlerForm form{e.organization, e.applicant.name, e.applicant.idType, e.applicant.idNumber,
                            e.applicant.phone};
    const auto validated = rules::validateHandler(form, rules::shanghaiDate(now));
    detail::requireValid(validated);
    std::string uscc;
    if (!e.uscc.empty()) {
        const auto checked = rules::checkUscc(e.uscc);
        if (!checked.ok()) {
            fail(reason::FORM_INVALID, "uscc invalid",
                 {{"field", "uscc"}, {"problem", std::string(rules::errorCodeName(*checked.error))}});
        }
        uscc = checked.value;
    }
    CertificateRecord r;
    r.der = cert->der();
    r.sha256 = cert->sha256Fingerprint();
    r.cardSerial = cardSerial;
    r.organization = validated.form.organization;
    r.uscc = uscc;
    r.applicantName = validated.form.name;
    r.idType = validated.form.idType;
    r.idHash = detail::idHash(keys_.idKey, *validated.idType, validated.form.idNumber);
    r.idLast4 = rules::lastFour(validated.form.idNumber);
    r.phone = validated.form.phone;
    r.enrolledAt = now;
    std::int64_t id = 0;
    storage_.inTransaction([&] {
        id = storage_.insertCertificate(r);
        // A renewed certificate on a known card keeps the card's PUK epoch and any pending rotation.
        const bool newCard = storage_.ensureCard(r.cardSerial, now);
        storage_.appendAudit({0,
                              now,
                              actor,
                              "registry.enroll",
                              "",
                              nlohmann::json{{"certificateSha256", r.sha256},
                                             {"cardSerial", r.cardSerial},
                                             {"newCard", newCard},
                                             {"subject", cert->subject().text},
                                             {"idType", r.idType},
                                             {"idLast4", r.idLast4}}
                                  .dump(),
                              {},
                              {}});
    });
    return id;
}

std::vector<std::vector<std::string>> parseCsv(std::string_view text) {
    if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> row;
    std::string field;
    bool quoted = false;
    bool fieldStarted = false;
    auto endField = [&] {
        row.push_back(std::move(field));
        field.clear();
        fieldStarted = false;
    };
    auto endRow = [&] {
        endField();
        const bool blank = row.size() == 1 && row.front().empty();
        if (!blank) rows.push_back(std::move(row));
        row.clear();
    };
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (quoted) {
            if (c == '"') {
                if (i + 1 < text.size() && text[i + 1] == '"') {
                    field.push_back('"');
                    ++i;
                } else {
                    quoted = false;
                }
            } else {
                field.push_back(c);
            }
            continue;
        }
        if (c == '"' && !fieldStarted) {
            quoted = true;
            fieldStarted = true;
        } else if (c == ',') {
            endField();
        } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
            // CRLF: the \n ends the row
        } else if (c == '\n') {
            endRow();
        } else {
            field.push_back(c);
            fieldStarted = true;
        }
    }
    if (quoted) throw InputError("CSV: unterminated quoted field");
    if (fieldStarted || !field.empty() || !row.empty()) endRow();
    return rows;
}

ImportReport Registry::importCsv(std::string_view csv, const std::filesystem::path& baseDir,
                                 const std::string& actor) {
    const auto rows = parseCsv(csv);
    if (rows.empty()) throw InputError("CSV: no header row");
    std::map<std::string, std::size_t> column;
    for (std::size_t i = 0; i < rows.front().size(); ++i) {
        std::string name = rows.front()[i];
        std::transform(name.begin(), name.end(), name.begin(),
                       [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
        while (!name.empty() && name.back() == ' ') name.pop_back();
        while (!name.empty() && name.front() == ' ') name.erase(name.begin());
        column[name] = i;
    }
    for (const char* required : {"certificate_file", "card_serial", "organization", "applicant_name",
                                 "id_type", "id_number", "phone"}) {
        if (!column.contains(required))
            throw InputError(std::string("CSV: header lacks column '") + required + "'");
    }
    ImportReport report;
    for (std::size_t r = 1; r < rows.size(); ++r) {
        const auto& row = rows[r];
        auto get = [&](const char* name) -> std::string {
            const auto it = column.find(name);
            if (it == column.end() || it->second >= row.size()) return {};
            return row[it->second];
        };
        const std::string where = "row " + std::to_string(r + 1);
        try {
            std::filesystem::path file(get("certificate_file"));
            if (file.is_relative()) file = baseDir / file;
            std::ifstream in(file, std::ios::binary);
            if (!in) throw InputError("cannot read certificate file " + file.string());
            std::ostringstream content;
            content << in.rdbuf();
            Enrollment e;
            e.certificate = content.str();
            e.cardSerial = get("card_serial");
            e.organization = get("organization");
            e.uscc = get("uscc");
            e.applicant = {get("applicant_name"), get("id_type"), get("id_number"), get("phone")};
            enroll(e, actor);
            ++report.enrolled;
        } catch (const AuthorityError& error) {
            std::string detail = error.reason();
            if (error.extra().contains("field"))
                detail += " (" + error.extra()["field"].get<std::string>() + ")";
            report.errors.push_back(where + ": " + detail);
        } catch (const InputError& error) {
            report.errors.push_back(where + ": " + error.what());
        }
    }
    return report;
}

}  // namespace cardbridge::authority
