import EventStream
import Testing
import TestSupport

/// The WHATWG `text/event-stream` rules, one by one. Every input is tokenized whole, a byte at a
/// time, and split in two at every offset, and all of those must agree (`events(of:)` checks).
@Suite("WHATWG event stream rules")
struct WHATWGRulesTests {
    @Test func aBlankLineDispatchesTheEventsData() {
        #expect(dataOf("data: hello\n\n") == ["hello"])
        #expect(dataOf("data: a\n\ndata: b\n\n") == ["a", "b"])
    }

    @Test func oneByteOrderMarkIsDroppedAtTheVeryStart() {
        #expect(dataOf("\u{FEFF}data: a\n\n") == ["a"])
    }

    @Test func aSecondByteOrderMarkIsPartOfTheFieldName() {
        #expect(dataOf("\u{FEFF}\u{FEFF}data: a\n\ndata: b\n\n") == ["b"])
    }

    @Test func aByteOrderMarkAfterTheStartIsContent() {
        #expect(dataOf("data: a\n\n\u{FEFF}data: b\n\n") == ["a"])
        #expect(dataOf("data: \u{FEFF}x\n\n") == ["\u{FEFF}x"])
    }

    @Test func aPartialByteOrderMarkIsContent() {
        // EF BB then 'd': not a BOM, so the line's field name is "\u{EF}\u{BB}data", unknown.
        #expect(events(ofBytes: [0xEF, 0xBB] + Array("data: a\n\ndata: b\n\n".utf8)).map(\.data) == ["b"])
        #expect(events(ofBytes: [0xEF, 0x0A] + Array("data: b\n\n".utf8)).map(\.data) == ["b"])
    }

    @Test func linesEndAtLFCRAndCRLFAlike() {
        #expect(dataOf("data: a\n\n") == ["a"])
        #expect(dataOf("data: a\r\r") == ["a"])
        #expect(dataOf("data: a\r\n\r\n") == ["a"])
    }

    @Test func mixedLineEndsJoinDataLinesWithLF() {
        #expect(dataOf("data: a\rdata: b\r\ndata: c\n\r\n") == ["a\nb\nc"])
    }

    @Test func aCRAtASliceEndAndAnLFAtTheNextStartAreOneLineEnd() {
        let text = Array("data: a\r\ndata: b\r\n\r\ndata: c\r\n\r\n".utf8)
        let crOffsets = text.indices.filter { text[$0] == 0x0D }.map { $0 + 1 }
        for cut in crOffsets {
            let collected = collect(text, slicing: .at([cut]))
            #expect(collected.events.map(\.data) == ["a\nb", "c"], "cut after the CR at \(cut)")
        }
    }

    @Test func aCRAloneDispatchesWithoutWaitingForTheNextSlice() {
        var tokenizer = EventStreamTokenizer()
        var collector = EventCollector()
        Array("data: x\r\r".utf8).withUnsafeBytes { tokenizer.feed($0, to: &collector) }
        #expect(collector.events.map(\.data) == ["x"])
    }

    @Test func commentsAreIgnored() {
        #expect(dataOf(": comment\ndata: a\n: another\ndata: b\n\n") == ["a\nb"])
        #expect(dataOf(":\n\n: OPENROUTER PROCESSING\n\ndata: c\n\n") == ["c"])
    }

    @Test func aLineWithoutAColonIsAFieldWithAnEmptyValue() {
        #expect(dataOf("data\n\n") == [""])
        #expect(dataOf("data\ndata\n\n") == ["\n"])
        #expect(events(of: "event\ndata: x\n\n").map(\.type) == ["message"])
    }

    @Test func onlyOneLeadingSpaceIsDropped() {
        #expect(dataOf("data:  two spaces\n\n") == [" two spaces"])
        #expect(dataOf("data:no space\n\n") == ["no space"])
        #expect(dataOf("data:\tx\n\n") == ["\tx"])
        #expect(dataOf("data: a: b\n\n") == ["a: b"])
    }

    @Test func anEventWithEmptyDataIsDispatched() {
        #expect(dataOf("data:\n\n") == [""])
        #expect(dataOf("data: \n\n") == [""])
    }

    @Test func anEventWithoutDataIsNotDispatched() {
        #expect(events(of: "event: ping\n\n").isEmpty)
        #expect(events(of: "id: 7\n\nretry: 5\n\n").isEmpty)
        #expect(events(of: "\n\n\n\r\n").isEmpty)
    }

    @Test func theEventTypeOfAnUndispatchedEventDoesNotLeakIntoTheNext() {
        #expect(events(of: "event: a\n\ndata: x\n\n").map(\.type) == ["message"])
    }

    @Test func anUnterminatedLastEventIsDropped() {
        #expect(dataOf("data: a\n\ndata: b\n") == ["a"])
        #expect(dataOf("data: a\n\ndata: b") == ["a"])
    }

    @Test func theEventFieldSetsTheTypeAndTheLastOneWins() {
        #expect(events(of: "event: add\ndata: x\n\n").map(\.type) == ["add"])
        #expect(events(of: "event: a\nevent: b\ndata: x\n\ndata: y\n\n").map(\.type) == ["b", "message"])
    }

    @Test func anIDWithNULIsIgnored() {
        let stream: [UInt8] = Array("id: 1\ndata: a\n\nid: 2".utf8) + [0] + Array("x\ndata: b\n\n".utf8)
        #expect(events(ofBytes: stream).map(\.lastEventID) == ["1", "1"])
    }

    @Test func theLastEventIDOutlivesItsEvent() {
        #expect(events(of: "id: 9\ndata: a\n\ndata: b\n\n").map(\.lastEventID) == ["9", "9"])
    }

    @Test func retryTakesOnlyASCIIDigits() {
        #expect(collect(Array("retry: 1500\n".utf8)).retry == 1500)
        #expect(collect(Array("retry: 15x0\n".utf8)).retry == nil)
        #expect(collect(Array("retry:\n".utf8)).retry == nil)
    }

    @Test func unknownFieldsAndNearMissNamesAreIgnored() {
        #expect(dataOf("foo: bar\ndata: x\n\n") == ["x"])
        #expect(dataOf("datas: no\nDATA: no\n data: no\ndata: yes\n\n") == ["yes"])
        #expect(dataOf("dat: no\n\n").isEmpty)
    }

    @Test func unicodeLineSeparatorsAreNotLineEnds() {
        #expect(dataOf("data: a\u{2028}b\u{2029}c\u{0085}d\n\n") == ["a\u{2028}b\u{2029}c\u{0085}d"])
    }

    @Test func multiByteCharactersSurviveEverySplit() {
        #expect(dataOf("data: héllo 日本 🎉\n\n") == ["héllo 日本 🎉"])
    }

    @Test func aNULInDataIsContent() {
        #expect(events(ofBytes: Array("data: a".utf8) + [0] + Array("b\n\n".utf8)).map(\.data) == ["a\u{0}b"])
    }
}
