import Metering
import Testing

/// The UTC windows of `GET /v1/usage`: day, ISO week (from Monday) and month, at their edges.
@Suite("Usage windows")
struct UsageWindowTests {
    static func micros(_ year: Int64, _ month: Int64, _ day: Int64, _ hour: Int64 = 0, _ minute: Int64 = 0, _ second: Int64 = 0, micro: Int64 = 0) -> Int64 {
        UTCCalendar.days(year: year, month: month, day: day)! * UTCCalendar.microsPerDay
            + ((hour * 60 + minute) * 60 + second) * 1_000_000 + micro
    }

    @Test func theLastMicrosecondOfADayBelongsToItAndMidnightStartsTheNext() {
        let lastMoment = Self.micros(2026, 11, 22, 23, 59, 59, micro: 999_999)
        #expect(UTCCalendar.dayStart(containing: lastMoment) == Self.micros(2026, 11, 22))
        #expect(UTCCalendar.dayStart(containing: lastMoment + 1) == Self.micros(2026, 11, 23))
    }

    @Test func weeksStartOnMondayMidnightSoSundayNightIsStillTheOldWeek() {
        // 2026-11-22 is a Sunday, 2026-11-23 a Monday.
        let sundayNight = Self.micros(2026, 11, 22, 23, 59, 59)
        #expect(UTCCalendar.weekStart(containing: sundayNight) == Self.micros(2026, 11, 16))
        #expect(UTCCalendar.weekStart(containing: Self.micros(2026, 11, 23)) == Self.micros(2026, 11, 23))
        #expect(UTCCalendar.weekStart(containing: Self.micros(2026, 11, 25, 12)) == Self.micros(2026, 11, 23))
        // An ISO week that spans a year end.
        #expect(UTCCalendar.weekStart(containing: Self.micros(2027, 1, 1)) == Self.micros(2026, 12, 28))
    }

    @Test func monthsEndOnTheirOwnLastDayLeapDaysIncluded() {
        #expect(UTCCalendar.monthStart(containing: Self.micros(2028, 2, 29, 23, 59, 59)) == Self.micros(2028, 2, 1))
        #expect(UTCCalendar.monthStart(containing: Self.micros(2028, 3, 1)) == Self.micros(2028, 3, 1))
        #expect(UTCCalendar.monthStart(containing: Self.micros(2026, 12, 31, 23, 59, 59)) == Self.micros(2026, 12, 1))
        #expect(UTCCalendar.monthStart(containing: Self.micros(2027, 1, 1)) == Self.micros(2027, 1, 1))
        #expect(UTCCalendar.monthStart(containing: Self.micros(2026, 4, 30, 12)) == Self.micros(2026, 4, 1))
    }

    @Test func onlyRealDatesAreAccepted() {
        #expect(UTCCalendar.days(parsing: "2028-02-29") != nil)
        #expect(UTCCalendar.days(parsing: "2026-02-29") == nil)
        #expect(UTCCalendar.days(parsing: "2100-02-29") == nil)
        #expect(UTCCalendar.days(parsing: "2000-02-29") != nil)
        #expect(UTCCalendar.days(parsing: "2026-04-31") == nil)
        #expect(UTCCalendar.days(parsing: "2026-13-01") == nil)
        #expect(UTCCalendar.days(parsing: "26-01-01") == nil)
        #expect(UTCCalendar.days(parsing: "1970-01-01") == 0)
    }

    @Test func everyDayOfFourCenturiesConvertsBothWays() {
        var days = UTCCalendar.days(year: 1900, month: 1, day: 1)!
        let end = UTCCalendar.days(year: 2300, month: 1, day: 1)!
        var mismatches = 0
        while days < end {
            let date = UTCCalendar.date(days: days)
            if UTCCalendar.days(year: date.year, month: date.month, day: date.day) != days { mismatches += 1 }
            days += 1
        }
        #expect(mismatches == 0)
    }

    @Test func timestampsAreISO8601InUTC() {
        #expect(UTCCalendar.timestamp(micros: Self.micros(2028, 2, 29, 23, 59, 59, micro: 42)) == "2028-02-29T23:59:59.000042Z")
    }
}
