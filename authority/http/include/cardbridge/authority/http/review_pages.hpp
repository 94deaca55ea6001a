// The HTML of the reviewers' pages (Chinese first, English beside it, no script): pure functions from
// the core's values to responses. Every value printed goes through htmlEscape.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cardbridge/authority/core/errors.hpp"
#include "cardbridge/authority/core/review_route.hpp"
#include "cardbridge/authority/core/reviewer_sessions.hpp"
#include "cardbridge/authority/core/unlock_requests.hpp"
#include "cardbridge/authority/http/http_types.hpp"
#include "cardbridge/common/clock.hpp"

namespace cardbridge::authority::http {

/// Escapes & < > " ' for HTML text and attribute values. Pure.
std::string htmlEscape(std::string_view text);

/// Headers every page carries: CSP without any script (frame-ancestors 'none'), X-Frame-Options DENY,
/// Referrer-Policy no-referrer, Cache-Control no-store, X-Content-Type-Options nosniff, HSTS.
std::vector<std::pair<std::string, std::string>> pageSecurityHeaders();

/// "2025-01-02 11:04" in Asia/Shanghai (UTC+8, no daylight saving). Pure.
std::string shanghaiTime(Seconds time);

/// 303 to `location`, with the page headers.
HttpResponse redirectTo(std::string location);

/// A text/plain answer with the page headers.
HttpResponse plainText(unsigned status, std::string text);

/// /review/style.css.
HttpResponse styleSheet();

/// The login form; `csrf` goes into its hidden field (the caller sets the matching cookie), `error` above
/// it when not empty.
HttpResponse loginPage(unsigned status, std::string_view error, std::string_view csrf);

/// The queue of requests in review.
HttpResponse queuePage(const std::vector<ReviewItem>& queue, const ReviewerSession& session);

/// One request's details, its attachments inline, and the decision forms while it is in review.
HttpResponse requestPage(const ReviewItem& item, const RequestStatus& status, const ApplicationForm& form,
                         const ReviewerSession& session);

/// A decrypted attachment with CSP `sandbox` (no script, an opaque origin), X-Frame-Options DENY and
/// nosniff: images inline, PDFs (anything else) as a download (Content-Disposition: attachment).
HttpResponse attachmentResponse(const AttachmentContent& content);

/// 404 for a page that does not exist, with the session's navigation.
HttpResponse notFoundPage(const ReviewerSession& session);

/// A refusal of the service as a page: its status, a sentence in both languages (never what()).
HttpResponse errorPage(const AuthorityError& error);

/// 500, without details.
HttpResponse internalErrorPage();

}  // namespace cardbridge::authority::http
