// Working days: holidays and 调休 make-up days from the embedded chinese-days data, the submission-day rule,
// Asia/Shanghai dates, and the Monday–Friday estimate beyond the data.
#include <gtest/gtest.h>

#include "cardbridge/common/error.hpp"
#include "cardbridge/rules/working_days.hpp"

namespace cardbridge::rules {
namespace {

using namespace std::chrono;

constexpr year_month_day ymd(int y, unsigned m, unsigned d) {
    return year_month_day{year{y}, month{m}, day{d}};
}

// An instant given as an Asia/Shanghai wall-clock time.
sys_seconds shanghai(int y, unsigned m, unsigned d, int hh, int mm, int ss = 0) {
    return sys_seconds(sys_days(ymd(y, m, d))) + hours(hh) + minutes(mm) + seconds(ss) - hours(8);
}

TEST(WorkingCalendar, BuiltInDataProvenance) {
    const auto& cal = WorkingCalendar::builtIn();
    EXPECT_EQ(cal.version(), "1.5.7");
    EXPECT_NE(cal.source().find("chinese-days"), std::string::npos);
    EXPECT_EQ(cal.firstYear(), 2004);
    EXPECT_EQ(cal.lastYear(), 2026);
    EXPECT_FALSE(cal.generatedAt().empty());
}

TEST(WorkingCalendar, NationalDayWeek2025) {
    // State Council notice for 2025: 10-01…10-08 off, Sunday 09-28 and Saturday 10-11 are working days.
    EXPECT_TRUE(isWorkingDay(ymd(2025, 9, 28)));  // Sunday, make-up
    for (unsigned d = 1; d <= 8; ++d) EXPECT_FALSE(isWorkingDay(ymd(2025, 10, d))) << d;
    EXPECT_TRUE(isWorkingDay(ymd(2025, 10, 9)));
    EXPECT_TRUE(isWorkingDay(ymd(2025, 10, 10)));
    EXPECT_TRUE(isWorkingDay(ymd(2025, 10, 11)));   // Saturday, make-up
    EXPECT_FALSE(isWorkingDay(ymd(2025, 10, 12)));  // ordinary Sunday
    EXPECT_FALSE(isWorkingDay(ymd(2025, 10, 4)));   // Saturday inside the holiday
}

TEST(WorkingCalendar, DueDateAcrossNationalDay) {
    // Submitted Tuesday 09-30: 10-09 (1), 10-10 (2), Saturday 10-11 make-up (3).
    const DueDate due = addWorkingDays(ymd(2025, 9, 30), 3);
    EXPECT_EQ(due.date, ymd(2025, 10, 11));
    EXPECT_FALSE(due.isEstimate);
    EXPECT_EQ(due.endsAt, shanghai(2025, 10, 12, 0, 0));
    // Submitted Saturday 09-27: make-up Sunday 09-28 counts first.
    EXPECT_EQ(addWorkingDays(ymd(2025, 9, 27), 1).date, ymd(2025, 9, 28));
    EXPECT_EQ(addWorkingDays(ymd(2025, 9, 27), 3).date, ymd(2025, 9, 30));
}

TEST(WorkingCalendar, SpringFestivalMakeUpWeekend) {
    // 2025: Sunday 01-26 and Saturday 02-08 are working days; 01-28…02-04 off.
    EXPECT_TRUE(isWorkingDay(ymd(2025, 1, 26)));
    EXPECT_TRUE(isWorkingDay(ymd(2025, 2, 8)));
    EXPECT_FALSE(isWorkingDay(ymd(2025, 2, 3)));  // Monday inside the holiday
    // Friday 01-24: Sunday 01-26 (1), Monday 01-27 (2), then Wednesday 02-05 (3).
    EXPECT_EQ(addWorkingDays(ymd(2025, 1, 24), 3).date, ymd(2025, 2, 5));
    // Friday 02-07: make-up Saturday 02-08 is the first.
    EXPECT_EQ(addWorkingDays(ymd(2025, 2, 7), 1).date, ymd(2025, 2, 8));
}

TEST(WorkingCalendar, SubmissionDayNeverCounts) {
    // A Monday submission, early or late, is due at the end of Thursday.
    for (const auto at : {shanghai(2025, 10, 13, 0, 0, 1), shanghai(2025, 10, 13, 9, 0),
                          shanghai(2025, 10, 13, 23, 59, 59)}) {
        const DueDate due = addWorkingDays(at, 3);
        EXPECT_EQ(due.date, ymd(2025, 10, 16));
        EXPECT_EQ(due.endsAt, shanghai(2025, 10, 17, 0, 0));
    }
    EXPECT_EQ(addWorkingDays(ymd(2025, 10, 13), 0).date, ymd(2025, 10, 13));
    EXPECT_THROW((void)addWorkingDays(ymd(2025, 10, 13), -1), InputError);
}

TEST(WorkingCalendar, DatesAreTakenInShanghaiNotUtc) {
    // 2025-10-12 16:30 UTC is Monday 10-13 00:30 in Shanghai; one second before 16:00 UTC is still Sunday.
    const sys_seconds mondayEarly = sys_seconds(sys_days(ymd(2025, 10, 12))) + hours(16) + minutes(30);
    EXPECT_EQ(shanghaiDate(mondayEarly), ymd(2025, 10, 13));
    EXPECT_EQ(addWorkingDays(mondayEarly, 3).date, ymd(2025, 10, 16));
    const sys_seconds sundayLate =
        sys_seconds(sys_days(ymd(2025, 10, 12))) + hours(15) + minutes(59) + seconds(59);
    EXPECT_EQ(shanghaiDate(sundayLate), ymd(2025, 10, 12));
    EXPECT_EQ(addWorkingDays(sundayLate, 3).date, ymd(2025, 10, 15));
    EXPECT_EQ(shanghaiDayStart(ymd(2025, 10, 13)), sys_seconds(sys_days(ymd(2025, 10, 12))) + hours(16));
}

TEST(WorkingCalendar, BeyondTheDataIsMondayToFridayEstimate) {
    // 2030 is not in the data: plain Monday–Friday.
    EXPECT_FALSE(isWorkingDay(ymd(2030, 1, 5)));             // Saturday
    EXPECT_TRUE(isWorkingDay(ymd(2030, 1, 1)));              // New Year's Day, unknown to the data
    const DueDate due = addWorkingDays(ymd(2030, 1, 4), 3);  // Friday
    EXPECT_EQ(due.date, ymd(2030, 1, 9));
    EXPECT_TRUE(due.isEstimate);
    // Crossing from the last data year into the next: 2026-12-31 is known, 2027 is estimated.
    const DueDate crossing = addWorkingDays(ymd(2026, 12, 30), 3);
    EXPECT_EQ(crossing.date, ymd(2027, 1, 4));
    EXPECT_TRUE(crossing.isEstimate);
    // Entirely inside the data: no estimate.
    EXPECT_FALSE(addWorkingDays(ymd(2026, 12, 21), 3).isEstimate);
}

TEST(WorkingCalendar, FromJsonCustomDataAndValidation) {
    const auto cal = WorkingCalendar::fromJson(R"({"source":"test","version":"0","generatedAt":"x",
        "firstYear":2040,"lastYear":2040,
        "years":{"2040":{"holidays":["2040-01-02"],"workdays":["2040-01-07"]}}})");
    EXPECT_FALSE(cal.isWorkingDay(ymd(2040, 1, 2)));  // Monday holiday
    EXPECT_TRUE(cal.isWorkingDay(ymd(2040, 1, 7)));   // Saturday make-up
    EXPECT_TRUE(cal.covers(ymd(2040, 6, 1)));
    EXPECT_FALSE(cal.covers(ymd(2041, 1, 1)));
    // Sunday 2040-01-01 start: 01-03 (1), 01-04 (2), 01-05 (3).
    EXPECT_EQ(cal.addWorkingDays(ymd(2040, 1, 1), 3).date, ymd(2040, 1, 5));

    EXPECT_THROW(WorkingCalendar::fromJson("{"), InputError);
    // A year inside the range with no entry.
    EXPECT_THROW(WorkingCalendar::fromJson(R"({"source":"t","version":"0","generatedAt":"x","firstYear":2040,
        "lastYear":2041,"years":{"2040":{"holidays":[],"workdays":[]}}})"),
                 InputError);
    // A make-up working day on a weekday.
    EXPECT_THROW(WorkingCalendar::fromJson(R"({"source":"t","version":"0","generatedAt":"x","firstYear":2040,
        "lastYear":2040,"years":{"2040":{"holidays":[],"workdays":["2040-01-03"]}}})"),
                 InputError);
    // An impossible date.
    EXPECT_THROW(WorkingCalendar::fromJson(R"({"source":"t","version":"0","generatedAt":"x","firstYear":2040,
        "lastYear":2040,"years":{"2040":{"holidays":["2040-02-30"],"workdays":[]}}})"),
                 InputError);
}

}  // namespace
}  // namespace cardbridge::rules
