#include "fakes/scripted_transport.hpp"

#include "cardbridge/common/bytes.hpp"

namespace cardbridge::card {
namespace {

std::string normalise(const std::string& hex) {
    return toHex(fromHex(hex));
}

}  // namespace

ScriptedTransport::ScriptedTransport(std::vector<ScriptStep> script, std::string reader, std::string atrHex)
    : reader_(std::move(reader)), atr_(fromHex(atrHex)) {
    add(std::move(script));
}

void ScriptedTransport::add(std::vector<ScriptStep> steps) {
    for (auto& s : steps) {
        s.command = normalise(s.command);
        s.response = normalise(s.response);
        script_.push_back(std::move(s));
    }
}

Bytes ScriptedTransport::exchange(ByteView command) {
    const std::string actual = toHex(command);
    sent_.push_back(actual);
    const std::size_t stepNumber = position_ + 1;
    if (position_ >= script_.size()) {
        throw ScriptMismatch("at step " + std::to_string(stepNumber) + ": unexpected command " + actual +
                             " (script ended after " + std::to_string(script_.size()) + " steps)");
    }
    const ScriptStep& expected = script_[position_];
    if (actual != expected.command) {
        throw ScriptMismatch("at step " + std::to_string(stepNumber) + ": unexpected command " + actual +
                             ", expected " + expected.command);
    }
    ++position_;
    if (expected.error) {
        throwCardError(*expected.error, "scripted failure at step " + std::to_string(stepNumber));
    }
    return fromHex(expected.response);
}

void ScriptedTransport::beginTransaction() {
    if (failBegin_) {
        CardErrorCode error = *failBegin_;
        failBegin_.reset();
        throwCardError(error, "scripted beginTransaction failure");
    }
    ++begun_;
}

void ScriptedTransport::endTransaction() {
    ++ended_;
}

void ScriptedTransport::reconnect() {
    ++reconnects_;
}

std::shared_ptr<Transport> ScriptedConnector::connect(const std::string&) {
    ++connects_;
    if (!connectErrors_.empty()) {
        CardErrorCode error = connectErrors_.front();
        connectErrors_.pop_front();
        throwCardError(error, "scripted connect failure");
    }
    return transport_;
}

}  // namespace cardbridge::card
