import Foundation
import TestSupport

/// The recorded streams laid out for nghttpd under the API paths a client would call, one
/// folder per stream: `/NAME/v1/chat/completions`, `/NAME/v1/messages`, …
struct FixtureSite {
    struct Page {
        let fixture: RecordedFixtures.Fixture
        /// The request path, without query.
        let path: String
    }

    let root: String
    let pages: [Page]

    init(in folder: ScratchFolder) throws {
        root = folder.path("htdocs")
        var pages: [Page] = []
        for fixture in RecordedFixtures.all() {
            let apiPath: String
            switch fixture.name.prefix(while: { $0 != "_" }) {
            case "chat": apiPath = "v1/chat/completions"
            case "responses": apiPath = "v1/responses"
            case "messages": apiPath = "v1/messages"
            case "gemini": apiPath = "v1beta/models/gemini-2.5-flash:streamGenerateContent"
            default: continue
            }
            let file = URL(fileURLWithPath: root).appendingPathComponent(fixture.name).appendingPathComponent(apiPath)
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(fixture.stream).write(to: file)
            pages.append(Page(fixture: fixture, path: "/\(fixture.name)/\(apiPath)"))
        }
        self.pages = pages
    }
}

/// Differences between a usage log line and a fixture's expected record, one per key.
func mismatches(_ line: [String: Any], _ expected: [String: RecordedFixtures.ExpectedValue]) -> [String] {
    expected.sorted(by: { $0.key < $1.key }).compactMap { key, value in
        let actual = line[key]
        let same: Bool
        switch value {
        case .null: same = actual is NSNull
        case .bool(let bool): same = (actual as? Bool) == bool && !(actual is Int && !(actual is Bool))
        case .integer(let integer): same = (actual as? Int) == integer
        case .string(let string): same = (actual as? String) == string
        }
        return same ? nil : "\(key): expected \(value), logged \(actual.map { "\($0)" } ?? "nothing")"
    }
}
