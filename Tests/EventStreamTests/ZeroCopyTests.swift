import EventStream
import Testing
import TestSupport

/// The tokenizer lends values out of the caller's bytes and keeps nothing of its own.
@Suite("Zero copy and constant memory")
struct ZeroCopyTests {
    /// Records where each data piece pointed, to compare with the slice that was fed.
    struct PieceAddresses: EventStreamHandler {
        var slice: UnsafeRawBufferPointer = UnsafeRawBufferPointer(start: nil, count: 0)
        var piecesInsideSlice = 0
        var piecesOutsideSlice: [[UInt8]] = []
        var bytesLent = 0
        var piecesLent = 0

        mutating func fieldValue(_ piece: RawSpan, of field: EventStreamField) {
            piece.withUnsafeBytes { bytes in
                bytesLent += bytes.count
                piecesLent += 1
                guard let start = bytes.baseAddress, let sliceStart = slice.baseAddress,
                      start >= sliceStart, start + bytes.count <= sliceStart + slice.count
                else { return piecesOutsideSlice.append(Array(bytes)) }
                piecesInsideSlice += 1
            }
        }
    }

    @Test func valuesPointIntoTheCallersBytes() {
        let stream = Array("data: first\ndata: second\nevent: kind\nid: 3\n\n".utf8)
        var tokenizer = EventStreamTokenizer()
        var handler = PieceAddresses()
        stream.withUnsafeBytes { bytes in
            handler.slice = bytes
            tokenizer.feed(bytes, to: &handler)
        }
        // Everything but the LF that joins the two data lines is lent from the input itself.
        #expect(handler.piecesInsideSlice == 4)
        #expect(handler.piecesOutsideSlice == [[0x0A]])
    }

    @Test func aHundredMegabyteLineArrivesAsOnePiecePerSliceWithNothingBuffered() {
        let sliceSize = 1 << 16
        let slices = 1600  // 100 MiB of data in one line
        var filler = [UInt8](repeating: UInt8(ascii: "x"), count: sliceSize)
        var tokenizer = EventStreamTokenizer()
        var handler = PieceAddresses()
        Array("data: ".utf8).withUnsafeBytes { tokenizer.feed($0, to: &handler) }
        filler.withUnsafeMutableBytes { bytes in
            for _ in 0..<slices {
                handler.slice = UnsafeRawBufferPointer(bytes)
                tokenizer.feed(UnsafeRawBufferPointer(bytes), to: &handler)
            }
        }
        #expect(handler.piecesLent == slices)
        #expect(handler.piecesInsideSlice == slices)
        #expect(handler.bytesLent == slices * sliceSize)
        // The tokenizer's whole state is a few fixed fields: nothing grew with the line.
        #expect(MemoryLayout<EventStreamTokenizer>.size <= 64)
    }
}
