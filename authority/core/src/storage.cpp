#include "cardbridge/authority/core/storage.hpp"

#include "cardbridge/common/error.hpp"

namespace cardbridge::authority {

std::string toString(Route route) {
    return route == Route::Sms ? "sms" : "review";
}

Route routeFromString(const std::string& name) {
    for (auto r : {Route::Sms, Route::Review}) {
        if (toString(r) == name) return r;
    }
    throw FatalError("unknown route '" + name + "'");
}

std::string toString(RequestState state) {
    switch (state) {
        case RequestState::Open:
            return "open";
        case RequestState::Authorised:
            return "authorised";
        case RequestState::InReview:
            return "in_review";
        case RequestState::Approved:
            return "approved";
        case RequestState::Rejected:
            return "rejected";
        case RequestState::Withdrawn:
            return "withdrawn";
        case RequestState::Completed:
            return "completed";
    }
    return "open";
}

RequestState requestStateFromString(const std::string& name) {
    for (auto s :
         {RequestState::Open, RequestState::Authorised, RequestState::InReview, RequestState::Approved,
          RequestState::Rejected, RequestState::Withdrawn, RequestState::Completed}) {
        if (toString(s) == name) return s;
    }
    throw FatalError("unknown request state '" + name + "'");
}

}  // namespace cardbridge::authority
