// The handler form rules (common/rules form): 机构名称, 经办人姓名, 证件类型 and 号码, phone, USCC, the text
// normalisation (NFC, white space, look-alikes) and the masks. The first byte picks the ID type; the rest
// is split on '\n' into the form's fields.
//
// Checked: a value the rules accept is canonical (checking it again gives it back unchanged), the
// normalisations are idempotent, and the masks never show more than they promise.
#include <array>
#include <chrono>
#include <cstdlib>
#include <string>

#include "cardbridge/rules/form.hpp"
#include "fuzz_support.hpp"

namespace {

using namespace cardbridge;
using namespace cardbridge::rules;

constexpr std::chrono::year_month_day TODAY{std::chrono::year{2026}, std::chrono::month{3},
                                            std::chrono::day{5}};

template <typename Check>
void canonical(Check&& check, std::string_view input) {
    const FieldResult first = check(input);
    if (!first.ok()) return;
    const FieldResult second = check(first.value);
    if (!second.ok() || second.value != first.value) std::abort();
}

template <typename Normalise>
void idempotent(Normalise&& normalise, std::string_view input) {
    const auto once = normalise(input);
    if (!once) return;
    const auto twice = normalise(*once);
    if (!twice || *twice != *once) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const IdType type = ALL_ID_TYPES[data[0] % ALL_ID_TYPES.size()];
    std::string_view rest = fuzz::text(data + 1, size - 1);
    std::array<std::string, 5> fields;
    for (std::string& field : fields) {
        const std::size_t end = rest.find('\n');
        field = std::string(rest.substr(0, end));
        rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    }
    const std::string& whole = fields[0];

    canonical(checkOrganization, whole);
    canonical(checkName, whole);
    canonical(checkPhone, whole);
    canonical(checkUscc, whole);
    canonical([&](std::string_view t) { return checkIdNumber(type, t, TODAY); }, whole);
    idempotent(normalizeText, whole);
    idempotent(normalizeOrganization, whole);
    idempotent(organizationKey, whole);
    idempotent(normalizeName, whole);
    (void)codePointCount(whole);
    (void)sameOrganization(fields[0], fields[1]);
    (void)sameName(fields[0], fields[1]);
    if (const auto parsed = parseIdType(whole)) {
        if (parseIdType(idTypeName(*parsed)) != parsed || parseIdType(idTypeCode(*parsed)) != parsed)
            std::abort();
    }
    (void)gb11643CheckChar(whole);
    (void)gb32100CheckChar(whole);

    // Masks: never the whole of a long number (one without stars of its own, which a mask would keep).
    const bool starless = whole.find('*') == std::string::npos;
    const std::string maskedId = maskIdNumber(whole);
    if (starless && whole.size() >= 12 && maskedId.find(whole) != std::string::npos) std::abort();
    const std::string maskedPhone = maskPhone(whole);
    if (starless && whole.size() >= 8 && maskedPhone.find(whole) != std::string::npos) std::abort();
    if (lastFour(whole).size() > 4) std::abort();

    HandlerForm form{fields[0], fields[1], fields[2], fields[3], fields[4]};
    const ValidatedHandler validated = validateHandler(form, TODAY);
    if (validated.ok()) {
        if (!validated.idType) std::abort();
        const ValidatedHandler again = validateHandler(validated.form, TODAY);
        if (!again.ok() || !(again.form == validated.form)) std::abort();
    }
    for (const FieldError& error : validated.errors) (void)error.codeName();
    return 0;
}
