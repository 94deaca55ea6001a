// X.509 into the certificate model (common/certificate): DER and PEM. Whatever parses yields a model whose
// fields are usable (PEM round trip, status at a fixed moment).
#include <chrono>
#include <cstdlib>

#include "cardbridge/common/certificate.hpp"
#include "fuzz_support.hpp"

using namespace cardbridge;

namespace {

void use(const Certificate& certificate) {
    const std::string pem = certificate.toPem();
    const Certificate again = Certificate::fromPem(pem);
    if (!(again == certificate)) std::abort();
    if (certificate.sha256Fingerprint().size() != 64) std::abort();
    (void)certificate.subject().first("CN");
    (void)certificate.issuer().first("2.5.4.10");
    (void)toString(
        certificate.statusAt(std::chrono::system_clock::time_point{} + std::chrono::hours(500000)));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    fuzz::expectTyped([&] { use(Certificate::fromDer(fuzz::bytes(data, size))); });
    // PEM is text: the same bytes, read as a PEM document.
    fuzz::expectTyped([&] { use(Certificate::fromPem(fuzz::text(data, size))); });
    return 0;
}
