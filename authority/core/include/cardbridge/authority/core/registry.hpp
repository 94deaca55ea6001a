// Registry: enrolment of issued certificates with their original applicant (single and CSV import).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cardbridge/authority/core/keys.hpp"
#include "cardbridge/authority/core/storage.hpp"
#include "cardbridge/authority/core/trust.hpp"
#include "cardbridge/common/clock.hpp"

namespace cardbridge::authority {

/// The person who applied for the certificate, as typed (normalised on enrolment).
struct Applicant {
    std::string name;
    std::string idType;
    std::string idNumber;
    std::string phone;
};

/// What to enrol: the certificate (PEM or DER bytes), the card holding it and the applicant.
struct Enrollment {
    std::string certificate;  ///< PEM text, or the raw DER bytes in a string
    std::string cardSerial;
    std::string organization;
    std::string uscc;  ///< optional 统一社会信用代码 ("" = none)
    Applicant applicant;
};

/// Result of a CSV import: one entry per data row that failed ("line N: reason").
struct ImportReport {
    int enrolled = 0;
    std::vector<std::string> errors;
};

/// Enrols certificates. Thread-safe if Storage is.
class Registry {
  public:
    /// Keeps references; all must outlive the Registry.
    Registry(Storage& storage, const IssuerTrust& trust, const AuthorityKeys& keys, const Clock& clock);

    /// Validates the applicant (cardbridge_rules), checks that the certificate chains to a configured CA
    /// (an expired one may still be enrolled), stores it; returns the record id. Throws AuthorityError:
    /// CERT_INVALID, CERT_UNTRUSTED, FORM_INVALID {field}, CERT_ALREADY_ENROLLED.
    std::int64_t enroll(const Enrollment& enrollment, const std::string& actor = "cli");

    /// Imports UTF-8 CSV (RFC 4180 quoting, optional BOM) with a header row naming the columns
    /// certificate_file, card_serial, organization, uscc (optional), applicant_name, id_type, id_number,
    /// phone, in any order. certificate_file is a PEM/DER path relative to `baseDir`. Rows that fail are
    /// reported and skipped. Throws InputError when the header lacks a required column.
    ImportReport importCsv(std::string_view csv, const std::filesystem::path& baseDir,
                           const std::string& actor = "cli");

  private:
    Storage& storage_;
    const IssuerTrust& trust_;
    const AuthorityKeys& keys_;
    const Clock& clock_;
};

/// Splits CSV text into rows of fields (RFC 4180: quoted fields, "" escapes, CRLF or LF, embedded
/// newlines in quotes; a UTF-8 BOM is dropped). Throws InputError on an unterminated quote.
std::vector<std::vector<std::string>> parseCsv(std::string_view text);

}  // namespace cardbridge::authority
