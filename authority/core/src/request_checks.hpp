// The checks every route step starts with: is the request on this route, in this state.
#pragma once

#include "cardbridge/authority/core/errors.hpp"
#include "cardbridge/authority/core/storage.hpp"

namespace cardbridge::authority::detail {

/// Throws AuthorityError WRONG_ROUTE {route} unless `request` is on `route`.
inline void requireRoute(const UnlockRequestRecord& request, Route route) {
    if (request.route != route) {
        fail(reason::WRONG_ROUTE, "request is on route " + toString(request.route),
             {{"route", toString(request.route)}});
    }
}

/// Throws AuthorityError WRONG_STATE {state} unless `request` is in `state`.
inline void requireState(const UnlockRequestRecord& request, RequestState state) {
    if (request.state != state) {
        fail(reason::WRONG_STATE, "request is " + toString(request.state),
             {{"state", toString(request.state)}});
    }
}

}  // namespace cardbridge::authority::detail
