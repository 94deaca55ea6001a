// The card's private-key operations on OpenSSL 3 (EVP only), and the 3DES of the management key.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "cardbridge/common/bytes.hpp"
#include "cardbridge/common/openssl.hpp"
#include "cardbridge/vcard/card_state.hpp"

namespace cardbridge::vcard {

/// Reads a PEM private key (PKCS#8 or traditional). Throws InputError when it does not parse.
EvpPkeyPtr loadPrivateKeyPem(std::string_view pem);

/// Unencrypted PKCS#8 PEM of a private key. Throws OpenSslError.
std::string privateKeyToPem(EVP_PKEY* key);

/// The PIV algorithm of a key (RSA 1024/2048 with e=65537, EC P-256), or nothing when unsupported.
std::optional<PivAlgorithm> pivAlgorithmOf(EVP_PKEY* key);

/// Human name, e.g. "RSA2048", "ECCP256".
std::string algorithmName(PivAlgorithm alg);

/// Generates a fresh key. Throws InputError for 3DES, OpenSslError on failure.
EvpPkeyPtr generateKey(PivAlgorithm alg);

/// Builds an RSA key (e = 65537) from the CRT parameters YubiKey IMPORT KEY carries.
/// Throws InputError when the parameters are inconsistent.
EvpPkeyPtr rsaFromCrt(ByteView p, ByteView q, ByteView dp, ByteView dq, ByteView qinv);

/// Builds a P-256 key from its private scalar. Throws InputError when out of range.
EvpPkeyPtr ecP256FromPrivate(ByteView scalar);

/// Public key as PIV TLVs: `81 n 82 e` (RSA) or `86 04‖X‖Y` (EC).
Bytes publicKeyTlvs(EVP_PKEY* key);

/// Raw RSA private-key operation (no padding): input must be exactly the modulus size and below it.
/// Throws InputError for bad input.
Bytes rsaRawPrivate(EVP_PKEY* key, ByteView input);

/// ECDSA over an already computed digest, returning DER SEQUENCE{r,s}. Throws InputError for bad input.
Bytes ecdsaSignDigest(EVP_PKEY* key, ByteView digest);

/// ECDH with an uncompressed peer point on the key's curve; returns the shared X coordinate.
Bytes ecdhSharedSecret(EVP_PKEY* key, ByteView peerPoint);

/// One 3DES-ECB operation on 8-byte blocks with a 24-byte key, no padding.
Bytes tripleDesEcb(ByteView key, ByteView data, bool encrypt);

}  // namespace cardbridge::vcard
