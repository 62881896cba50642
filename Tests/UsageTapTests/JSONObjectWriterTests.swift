import Foundation
import Testing
import UsageTap

/// The writer behind every JSON line the tool prints: usage records, costs, the proxy's log.
@Suite("JSON object writer")
struct JSONObjectWriterTests {
    @Test func stringsAreEscapedAsRFC8259RequiresAndNonASCIIPassesThrough() throws {
        var json = JSONObjectWriter()
        json.add("text", string: "quote \" backslash \\ tab \t newline \n bell \u{07} é ☃")
        json.add("missing", string: nil)
        let line = json.finish()
        #expect(line == #"{"text":"quote \" backslash \\ tab \t newline \n bell \u0007 é ☃","missing":null}"#)
        let decoded = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(decoded["text"] as? String == "quote \" backslash \\ tab \t newline \n bell \u{07} é ☃")
    }

    @Test func integersOfEverySizeAreWrittenExactly() {
        var json = JSONObjectWriter()
        json.add("zero", integer: 0)
        json.add("negative", integer: -42)
        json.add("largest", integer: Int.max)
        json.add("smallest", integer: Int.min)
        json.add("wide", integer: Int128(Int.max) * 1000 + 7)
        json.add("wideNegative", integer: -(Int128(1) << 100))
        json.add("padded", integer: Int128(10_000_000_000_000_000_000) * 3 + 5)
        json.add("unknown", integer: nil as Int?)
        #expect(json.finish() == #"{"zero":0,"negative":-42,"largest":9223372036854775807,"smallest":-9223372036854775808,"wide":9223372036854775807007,"wideNegative":-1267650600228229401496703205376,"padded":30000000000000000005,"unknown":null}"#)
    }

    @Test func thousandthsAreWrittenWithThreeDecimals() {
        var json = JSONObjectWriter()
        json.add("a", thousandths: 0)
        json.add("b", thousandths: 5)
        json.add("c", thousandths: 12_045)
        json.add("d", thousandths: -1_500)
        json.add("e", thousandths: nil)
        #expect(json.finish() == #"{"a":0.000,"b":0.005,"c":12.045,"d":-1.500,"e":null}"#)
    }

    @Test func nanoUnitsAreWrittenAsDecimalStringsOfWholeUnitsWithNineDecimals() {
        let amounts: [Int128] = [0, 5, 18_975, 1_000_000_000, 12_345_678_901, -7_687_500, Int128(Int64.max) * 1_000 + 1]
        var json = JSONObjectWriter()
        for amount in amounts { json.add("a", decimalNanos: amount) }
        #expect(json.finish() == #"{"a":"0.000000000","a":"0.000000005","a":"0.000018975","a":"1.000000000","a":"12.345678901","a":"-0.007687500","a":"9223372036854.775807001"}"#)
    }

    @Test func nestedObjectsAreWrittenInPlaceAndMembersAfterThemKeepTheirCommas() {
        var json = JSONObjectWriter()
        json.add("before", integer: 1)
        json.addObject("inner") { inner in
            inner.add("x", string: "y")
            inner.addObject("deeper") { $0.add("z", bool: false) }
        }
        json.addObject("empty") { _ in }
        json.add("after", integer: 2)
        #expect(json.finish() == #"{"before":1,"inner":{"x":"y","deeper":{"z":false}},"empty":{},"after":2}"#)
    }

    @Test func linesOfABatchFollowOneAnother() {
        var first = JSONObjectWriter()
        first.add("n", integer: 1)
        var second = JSONObjectWriter(appendingTo: first.finishBytes(terminator: UInt8(ascii: "\n")))
        second.add("n", integer: 2)
        second.add("ok", bool: true)
        second.add("raw", rawJSON: "[1,2]")
        let batch = second.finishBytes(terminator: UInt8(ascii: "\n"))
        #expect(String(decoding: batch, as: UTF8.self) == "{\"n\":1}\n{\"n\":2,\"ok\":true,\"raw\":[1,2]}\n")
    }

    @Test func utf8BytesAreWrittenAsAString() {
        var json = JSONObjectWriter()
        Array("/v1/\"x\"".utf8).withUnsafeBytes { json.add("path", utf8: $0) }
        #expect(json.finish() == #"{"path":"/v1/\"x\""}"#)
    }

    @Test func aPrefixAndANumberAreWrittenAsOneString() {
        var json = JSONObjectWriter()
        json.add("id", string: "9f3a-0-", number: 17)
        json.add("first", string: "a\"", number: 0)
        json.add("largest", string: "", number: .max)
        #expect(json.finish() == #"{"id":"9f3a-0-17","first":"a\"0","largest":"18446744073709551615"}"#)
    }

    @Test func piecesOfEverySizeAcrossManyBuffersOfStagingMakeOneExactLine() throws {
        // Strings of 0 to 300 bytes (some longer than the 128 bytes gathered before they reach
        // the array, some escaped) and numbers of every length, in one line.
        var json = JSONObjectWriter()
        var members: [String] = []
        for length in stride(from: 0, through: 300, by: 7) {
            let quotes = length % 3 == 0
            json.add("s", string: String(repeating: quotes ? "\"" : "a", count: length))
            members.append(#""s":""# + String(repeating: quotes ? #"\""# : "a", count: length) + #"""#)
            let number = Int(truncatingIfNeeded: UInt64(length) &* 0x9E37_79B9_7F4A_7C15 >> UInt64(length % 60))
            json.add("n", integer: number)
            members.append(#""n":\#(number)"#)
        }
        let key: StaticString = "a_key_longer_than_any_this_library_writes_and_longer_than_the_staging_buffer_can_take_as_one_piece_with_its_quotes_and_colon"
        json.add(key, bool: true)
        members.append(#""\#(key)":true"#)
        let line = json.finish()
        #expect(line == "{" + members.joined(separator: ",") + "}")
        #expect(line.utf8.count > 128 * 50)
        _ = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
    }
}
