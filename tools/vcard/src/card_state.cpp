#include "cardbridge/vcard/card_state.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cardbridge/common/error.hpp"
#include "cardbridge/common/secret.hpp"

namespace cardbridge::vcard {

namespace {

constexpr int STATE_VERSION = 1;

std::string hexKey(std::uint32_t value, int width) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%0*X", width, value);
    return buf;
}

std::uint32_t parseHexKey(const std::string& text) {
    if (text.empty() || text.size() > 6) throw InputError("state: bad hex key '" + text + "'");
    std::uint32_t value = 0;
    for (char c : text) {
        value <<= 4;
        if (c >= '0' && c <= '9') {
            value |= static_cast<std::uint32_t>(c - '0');
        } else if (c >= 'A' && c <= 'F') {
            value |= static_cast<std::uint32_t>(c - 'A' + 10);
        } else if (c >= 'a' && c <= 'f') {
            value |= static_cast<std::uint32_t>(c - 'a' + 10);
        } else {
            throw InputError("state: bad hex key '" + text + "'");
        }
    }
    return value;
}

int boundedInt(const nlohmann::json& json, const char* name, int lo, int hi) {
    int v = json.at(name).get<int>();
    if (v < lo || v > hi) throw InputError(std::string("state: ") + name + " out of range");
    return v;
}

bool knownAlgorithm(int alg) {
    return alg == 0x06 || alg == 0x07 || alg == 0x11;
}

[[noreturn]] void throwErrno(const std::string& what) {
    throw FatalError(what + ": " + std::strerror(errno));
}

}  // namespace

Bytes defaultMgmtKey() {
    Bytes key;
    for (int round = 0; round < 3; ++round)
        for (std::uint8_t b = 1; b <= 8; ++b) key.push_back(b);
    return key;
}

CardState freshCardState(std::uint32_t serial, Bytes guid) {
    CardState s;
    s.serial = serial;
    s.guid = std::move(guid);
    s.pin = toBytes(DEFAULT_PIN);
    s.puk = toBytes(DEFAULT_PUK);
    s.mgmtKey = defaultMgmtKey();
    return s;
}

nlohmann::json stateToJson(const CardState& state) {
    nlohmann::json j;
    j["version"] = STATE_VERSION;
    j["serial"] = state.serial;
    j["guid"] = toHex(state.guid);
    j["pin"] = toHex(state.pin);
    j["puk"] = toHex(state.puk);
    j["pinRetries"] = state.pinRetries;
    j["pinTriesLeft"] = state.pinTriesLeft;
    j["pukRetries"] = state.pukRetries;
    j["pukTriesLeft"] = state.pukTriesLeft;
    j["mgmtKey"] = toHex(state.mgmtKey);
    j["objects"] = nlohmann::json::object();
    for (const auto& [tag, value] : state.objects) j["objects"][hexKey(tag, 2)] = toHex(value);
    j["keys"] = nlohmann::json::object();
    for (const auto& [slot, key] : state.keys) {
        j["keys"][hexKey(slot, 2)] = {{"algorithm", static_cast<int>(key.algorithm)},
                                      {"pinPolicy", key.pinPolicy},
                                      {"touchPolicy", key.touchPolicy},
                                      {"origin", key.origin},
                                      {"pkcs8", key.pkcs8Pem}};
    }
    return j;
}

CardState stateFromJson(const nlohmann::json& j) {
    try {
        if (j.at("version").get<int>() != STATE_VERSION) throw InputError("state: unsupported version");
        CardState s;
        s.serial = j.at("serial").get<std::uint32_t>();
        s.guid = fromHex(j.at("guid").get<std::string>());
        s.pin = fromHex(j.at("pin").get<std::string>());
        s.puk = fromHex(j.at("puk").get<std::string>());
        s.pinRetries = boundedInt(j, "pinRetries", 1, 255);
        s.pinTriesLeft = boundedInt(j, "pinTriesLeft", 0, s.pinRetries);
        s.pukRetries = boundedInt(j, "pukRetries", 1, 255);
        s.pukTriesLeft = boundedInt(j, "pukTriesLeft", 0, s.pukRetries);
        s.mgmtKey = fromHex(j.at("mgmtKey").get<std::string>());
        if (s.guid.size() != 16) throw InputError("state: guid must be 16 bytes");
        if (s.pin.size() < 6 || s.pin.size() > 8) throw InputError("state: PIN must be 6-8 bytes");
        if (s.puk.size() < 6 || s.puk.size() > 8) throw InputError("state: PUK must be 6-8 bytes");
        if (s.mgmtKey.size() != 24) throw InputError("state: management key must be 24 bytes");
        for (const auto& [tag, value] : j.at("objects").items())
            s.objects[parseHexKey(tag)] = fromHex(value.get<std::string>());
        for (const auto& [slot, key] : j.at("keys").items()) {
            SlotKey k;
            int alg = key.at("algorithm").get<int>();
            if (!knownAlgorithm(alg)) throw InputError("state: unknown key algorithm");
            k.algorithm = static_cast<PivAlgorithm>(alg);
            k.pinPolicy = key.at("pinPolicy").get<std::uint8_t>();
            k.touchPolicy = key.at("touchPolicy").get<std::uint8_t>();
            k.origin = key.at("origin").get<std::uint8_t>();
            k.pkcs8Pem = key.at("pkcs8").get<std::string>();
            std::uint32_t slotId = parseHexKey(slot);
            if (slotId > 0xFF) throw InputError("state: bad slot");
            s.keys[static_cast<std::uint8_t>(slotId)] = std::move(k);
        }
        return s;
    } catch (const nlohmann::json::exception& e) {
        throw InputError(std::string("state: ") + e.what());
    }
}

CardState FileStateStore::load() {
    std::ifstream in(path_);
    if (!in) throw FatalError("cannot open state file " + path_.string());
    std::stringstream buffer;
    buffer << in.rdbuf();
    std::string text = buffer.str();
    nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
    wipe(text);
    if (j.is_discarded()) throw InputError("state file " + path_.string() + " is not valid JSON");
    CardState s = stateFromJson(j);
    lastStamp_ = currentStamp();
    return s;
}

void FileStateStore::save(const CardState& state) {
    std::string text = stateToJson(state).dump(2) + "\n";
    std::filesystem::path dir = path_.parent_path().empty() ? "." : path_.parent_path();
    std::string tmpl = (dir / (path_.filename().string() + ".XXXXXX")).string();
    int fd = ::mkstemp(tmpl.data());
    if (fd < 0) throwErrno("cannot create temp file next to " + path_.string());
    // mkstemp already creates 0600; fchmod guards against an unusual umask or platform.
    bool ok = ::fchmod(fd, S_IRUSR | S_IWUSR) == 0;
    std::size_t done = 0;
    while (ok && done < text.size()) {
        ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            ok = false;
            break;
        }
        done += static_cast<std::size_t>(n);
    }
    wipe(text);
    ok = ok && ::fsync(fd) == 0;
    int savedErrno = errno;
    ::close(fd);
    if (!ok || ::rename(tmpl.c_str(), path_.c_str()) != 0) {
        if (ok) savedErrno = errno;
        ::unlink(tmpl.c_str());
        errno = savedErrno;
        throwErrno("cannot write state file " + path_.string());
    }
    // The rename is durable only once the directory entry is on disk.
    int dirFd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
    if (dirFd >= 0) {
        ::fsync(dirFd);
        ::close(dirFd);
    }
    lastStamp_ = currentStamp();
}

std::optional<FileStateStore::Stamp> FileStateStore::currentStamp() const noexcept {
    struct stat st {};
    if (::stat(path_.c_str(), &st) != 0) return std::nullopt;
    return Stamp{static_cast<std::uint64_t>(st.st_ino),
                 static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec,
                 static_cast<std::int64_t>(st.st_size)};
}

std::optional<CardState> FileStateStore::reloadIfChanged() noexcept {
    auto stamp = currentStamp();
    if (!stamp || stamp == lastStamp_) return std::nullopt;
    try {
        return load();
    } catch (...) {
        // A half-edited or broken file is ignored; the card keeps what it has in memory.
        lastStamp_ = stamp;
        return std::nullopt;
    }
}

}  // namespace cardbridge::vcard
