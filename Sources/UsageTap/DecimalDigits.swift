/// Integers written as ASCII decimal digits, with no `String` on the way: the JSON writer's
/// numbers and amounts of money both come from here.
package enum DecimalDigits {
    static func append(_ value: Int128, to bytes: inout StagedBytes) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        let magnitude = value.magnitude
        if let small = UInt64(exactly: magnitude) { return append(small, to: &bytes) }
        // Above 2^64 (only sums of costs get there): the high part, then 19 zero-padded digits.
        let split: UInt128 = 10_000_000_000_000_000_000
        append(Int128(magnitude / split), to: &bytes)
        append(UInt64(magnitude % split), minimumCount: 19, to: &bytes)
    }

    /// `value` in units of 10^-`decimals` (at most 19), written with exactly that many decimals:
    /// nano-units with 9 (`0.000018975`, `-12.345678901`), thousandths with 3 (`12.045`).
    package static func appendFixedPoint(_ value: Int128, decimals: Int, to bytes: inout StagedBytes) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var scale: UInt64 = 1
        for _ in 0..<decimals { scale *= 10 }
        // Divided in 64 bits when the amount fits (every single response's cost does): 128-bit
        // division is a library call several times slower.
        let magnitude = value.magnitude
        let whole: UInt128
        let fraction: UInt64
        if let small = UInt64(exactly: magnitude) {
            let parts = small.quotientAndRemainder(dividingBy: scale)
            (whole, fraction) = (UInt128(parts.quotient), parts.remainder)
        } else {
            let parts = magnitude.quotientAndRemainder(dividingBy: UInt128(scale))
            (whole, fraction) = (parts.quotient, UInt64(parts.remainder))
        }
        append(Int128(whole), to: &bytes)
        bytes.append(UInt8(ascii: "."))
        append(fraction, minimumCount: decimals, to: &bytes)
    }

    /// `value` with at least `minimumCount` digits (zero-padded on the left; at most 20).
    static func append(_ value: UInt64, minimumCount: Int = 1, to bytes: inout StagedBytes) {
        // One digit (the many zero counts of a usage line): a single byte.
        if value < 10, minimumCount <= 1 { return bytes.append(UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value)) }
        // The digits' count first (20 holds any UInt64), then the digits from the right, in place.
        var count = 1
        var power: UInt64 = 10
        while count < 20, value >= power {
            count &+= 1
            // Below 10^19 here, so the product stays below 2^64 until the loop ends.
            power = count < 20 ? power &* 10 : power
        }
        count = max(count, minimumCount)
        bytes.write(upTo: count) { room in
            var remaining = value
            var index = count
            Self.pairs.withUTF8Buffer { pairs in
                // Two digits a division, from a table of the hundred pairs.
                while index >= 2 {
                    let (quotient, pair) = remaining.quotientAndRemainder(dividingBy: 100)
                    index &-= 2
                    // Safe: 0 <= index < count - 1, the room lent; pair < 100, the table's pairs.
                    room[index] = pairs[Int(pair) &* 2]
                    room[index &+ 1] = pairs[Int(pair) &* 2 &+ 1]
                    remaining = quotient
                }
            }
            // An odd count: the first digit.
            if index == 1 { room[0] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: remaining) }
            return count
        }
    }

    /// "00", "01" … "99", each pair's two digits.
    private static let pairs: StaticString = """
        00010203040506070809101112131415161718192021222324252627282930313233343536373839\
        40414243444546474849505152535455565758596061626364656667686970717273747576777879\
        8081828384858687888990919293949596979899
        """
}
