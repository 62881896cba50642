import Foundation
import Testing

/// The recorded provider streams in `../shared/fixtures/recorded/`, read where they are.
///
/// They are not part of this repository: on a clone without `../shared`, `isAvailable` is false
/// and the tests that need them are skipped with that reason.
public enum RecordedFixtures {
    public struct Fixture: Sendable, CustomTestStringConvertible {
        public let name: String
        public let stream: [UInt8]
        /// The `.expected.json` beside the stream, as parsed JSON values.
        public let expected: [String: ExpectedValue]
        public var testDescription: String { name }
    }

    /// A JSON scalar from an expected record.
    public enum ExpectedValue: Sendable, Equatable {
        case null, bool(Bool), integer(Int), string(String)
    }

    public static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("shared/fixtures/recorded")

    public static var isAvailable: Bool {
        FileManager.default.fileExists(atPath: directory.path)
    }

    public static let skipReason: Comment = "../shared/fixtures/recorded is absent (a clone without shared/): recorded streams not tested"

    /// Every recorded stream with its expected record, sorted by name; empty when absent.
    public static func all() -> [Fixture] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return [] }
        return names.filter { $0.hasSuffix(".sse") }.sorted().compactMap { file in
            let base = String(file.dropLast(4))
            guard let stream = FileManager.default.contents(atPath: directory.appendingPathComponent(file).path),
                  let expectedData = FileManager.default.contents(
                    atPath: directory.appendingPathComponent(base + ".expected.json").path),
                  let expected = try? JSONDecoder().decode([String: ExpectedValue].self, from: expectedData)
            else { return nil }
            return Fixture(name: base, stream: [UInt8](stream), expected: expected)
        }
    }
}

extension RecordedFixtures.ExpectedValue: Decodable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let bool = try? container.decode(Bool.self) {
            self = .bool(bool)
        } else if let integer = try? container.decode(Int.self) {
            self = .integer(integer)
        } else {
            self = .string(try container.decode(String.self))
        }
    }
}
