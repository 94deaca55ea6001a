#include "cardbridge/rules/working_days.hpp"

#include <nlohmann/json.hpp>

#include "cardbridge/common/error.hpp"

namespace cardbridge::rules {
namespace detail {
extern const std::string_view CN_WORKDAYS_JSON;  // generated from data/cn-workdays.json
}

namespace {

using std::chrono::sys_days;
using std::chrono::year_month_day;

// "YYYY-MM-DD" → a real date in `expectedYear`; throws InputError otherwise.
sys_days parseDate(const std::string& text, int expectedYear) {
    const auto digitsAt = [&](std::size_t pos, std::size_t len) {
        int v = 0;
        for (std::size_t i = pos; i < pos + len; ++i) {
            if (text[i] < '0' || text[i] > '9') throw InputError("calendar: bad date " + text);
            v = v * 10 + (text[i] - '0');
        }
        return v;
    };
    if (text.size() != 10 || text[4] != '-' || text[7] != '-') throw InputError("calendar: bad date " + text);
    const year_month_day date{std::chrono::year{digitsAt(0, 4)},
                              std::chrono::month{static_cast<unsigned>(digitsAt(5, 2))},
                              std::chrono::day{static_cast<unsigned>(digitsAt(8, 2))}};
    if (!date.ok() || static_cast<int>(date.year()) != expectedYear)
        throw InputError("calendar: bad date " + text);
    return sys_days(date);
}

bool isWeekend(sys_days day) noexcept {
    const std::chrono::weekday wd{day};
    return wd == std::chrono::Saturday || wd == std::chrono::Sunday;
}

}  // namespace

std::chrono::year_month_day shanghaiDate(std::chrono::sys_seconds instant) noexcept {
    return year_month_day(std::chrono::floor<std::chrono::days>(instant + SHANGHAI_UTC_OFFSET));
}

std::chrono::sys_seconds shanghaiDayStart(std::chrono::year_month_day date) noexcept {
    return std::chrono::sys_seconds(sys_days(date)) - SHANGHAI_UTC_OFFSET;
}

WorkingCalendar WorkingCalendar::fromJson(std::string_view json) {
    WorkingCalendar calendar;
    try {
        const auto doc = nlohmann::json::parse(json);
        calendar.source_ = doc.at("source").get<std::string>();
        calendar.version_ = doc.at("version").get<std::string>();
        calendar.generatedAt_ = doc.at("generatedAt").get<std::string>();
        calendar.firstYear_ = doc.at("firstYear").get<int>();
        calendar.lastYear_ = doc.at("lastYear").get<int>();
        if (calendar.firstYear_ < 1970 || calendar.lastYear_ < calendar.firstYear_) {
            throw InputError("calendar: bad year range");
        }
        const auto& years = doc.at("years");
        for (int y = calendar.firstYear_; y <= calendar.lastYear_; ++y) {
            // A year inside the range without an entry would silently become "no holidays": refuse it.
            const auto& entry = years.at(std::to_string(y));
            for (const auto& d : entry.at("holidays"))
                calendar.holidays_.insert(parseDate(d.get<std::string>(), y));
            for (const auto& d : entry.at("workdays")) {
                const sys_days day = parseDate(d.get<std::string>(), y);
                // A make-up working day (调休) is always a weekend day that is not also a holiday.
                if (!isWeekend(day) || calendar.holidays_.contains(day)) {
                    throw InputError("calendar: make-up working day on a weekday or holiday: " +
                                     d.get<std::string>());
                }
                calendar.makeUpWorkdays_.insert(day);
            }
        }
    } catch (const nlohmann::json::exception& e) {
        throw InputError(std::string("calendar: malformed data: ") + e.what());
    }
    return calendar;
}

const WorkingCalendar& WorkingCalendar::builtIn() {
    static const WorkingCalendar calendar = fromJson(detail::CN_WORKDAYS_JSON);
    return calendar;
}

bool WorkingCalendar::covers(std::chrono::year_month_day date) const noexcept {
    const int y = static_cast<int>(date.year());
    return y >= firstYear_ && y <= lastYear_;
}

bool WorkingCalendar::isWorkingDay(std::chrono::year_month_day date) const {
    const sys_days day(date);
    if (covers(date)) {
        if (makeUpWorkdays_.contains(day)) return true;
        if (holidays_.contains(day)) return false;
    }
    return !isWeekend(day);
}

DueDate WorkingCalendar::addWorkingDays(std::chrono::year_month_day start, int n) const {
    if (n < 0) throw InputError("addWorkingDays: negative count");
    sys_days day(start);
    bool estimate = false;
    // The start (submission) day never counts: counting begins the next day.
    for (int counted = 0; counted < n;) {
        day += std::chrono::days(1);
        if (!covers(year_month_day(day))) estimate = true;
        if (isWorkingDay(year_month_day(day))) ++counted;
    }
    const year_month_day due(day);
    return DueDate{due, shanghaiDayStart(year_month_day(day + std::chrono::days(1))), estimate};
}

DueDate WorkingCalendar::addWorkingDays(std::chrono::sys_seconds submittedAt, int n) const {
    return addWorkingDays(shanghaiDate(submittedAt), n);
}

bool isWorkingDay(std::chrono::year_month_day date) {
    return WorkingCalendar::builtIn().isWorkingDay(date);
}

DueDate addWorkingDays(std::chrono::year_month_day start, int n) {
    return WorkingCalendar::builtIn().addWorkingDays(start, n);
}

DueDate addWorkingDays(std::chrono::sys_seconds submittedAt, int n) {
    return WorkingCalendar::builtIn().addWorkingDays(submittedAt, n);
}

}  // namespace cardbridge::rules
