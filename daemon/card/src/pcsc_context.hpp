// PcscContext::Impl, shared by the PC/SC module's files only.
#pragma once

#include "cardbridge/card/pcsc.hpp"
#include "pcsc_platform.hpp"

namespace cardbridge::card {

struct PcscContext::Impl {
    SCARDCONTEXT handle = 0;
};

}  // namespace cardbridge::card
