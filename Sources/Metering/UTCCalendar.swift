#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Civil dates in UTC, for usage windows and statement ranges, without a calendar library.
///
/// Days are counted from 1970-01-01 with the proleptic Gregorian calendar (the days-from-civil
/// algorithm), so leap days and month ends need no table.
public enum UTCCalendar {
    public static let microsPerDay: Int64 = 86_400_000_000

    /// The current time in microseconds since the epoch (the system's real-time clock).
    public static func nowMicros() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1_000
    }

    /// Days since 1970-01-01 of a valid date; nil when the month or day does not exist.
    public static func days(year: Int64, month: Int64, day: Int64) -> Int64? {
        guard (1...12).contains(month), day >= 1, day <= daysInMonth(year: year, month: month) else { return nil }
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The date of a day count.
    public static func date(days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shifted = days + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    public static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    public static func isLeap(_ year: Int64) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    /// Days since the epoch of a `YYYY-MM-DD` date.
    public static func days(parsing text: String) -> Int64? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              let year = Int64(parts[0]), let month = Int64(parts[1]), let day = Int64(parts[2])
        else { return nil }
        return days(year: year, month: month, day: day)
    }

    /// The start of the day that holds `micros`.
    public static func dayStart(containing micros: Int64) -> Int64 {
        floorDivide(micros, microsPerDay) * microsPerDay
    }

    /// The start of the ISO week (Monday 00:00) that holds `micros`.
    public static func weekStart(containing micros: Int64) -> Int64 {
        let days = floorDivide(micros, microsPerDay)
        // 1970-01-01 was a Thursday: three days after a Monday.
        let sinceMonday = (days + 3) - floorDivide(days + 3, 7) * 7
        return (days - sinceMonday) * microsPerDay
    }

    /// The start of the month (the 1st, 00:00) that holds `micros`.
    public static func monthStart(containing micros: Int64) -> Int64 {
        let date = date(days: floorDivide(micros, microsPerDay))
        return days(year: date.year, month: date.month, day: 1)! * microsPerDay
    }

    /// `YYYY-MM-DDTHH:MM:SS.ffffffZ`.
    public static func timestamp(micros: Int64) -> String {
        let days = floorDivide(micros, microsPerDay)
        let date = date(days: days)
        let inDay = micros - days * microsPerDay
        let seconds = inDay / 1_000_000
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(date.year, 4))-\(pad(date.month, 2))-\(pad(date.day, 2))T\(pad(seconds / 3600, 2)):\(pad(seconds / 60 % 60, 2)):\(pad(seconds % 60, 2)).\(pad(inDay % 1_000_000, 6))Z"
    }

    private static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return value % divisor < 0 ? quotient - 1 : quotient
    }
}
