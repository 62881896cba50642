import Foundation
import Testing
import TestSupport

/// What the embedding tests need from outside the Swift build: `./test` builds the C library
/// (`Embedding/c/build`) and the nginx module (`Embedding/nginx/build`) and names them here.
enum Embedding {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The folder holding libusagetap.so and usagetap.h (`USAGETAP_C_LIBRARY_DIR`).
    static let libraryFolder: String? = setting("USAGETAP_C_LIBRARY_DIR")
    /// ngx_http_usagetap_module.so (`USAGETAP_NGINX_MODULE`).
    static let nginxModule: String? = setting("USAGETAP_NGINX_MODULE")

    static var library: String { libraryFolder! + "/libusagetap.so" }

    static let noLibrary: Comment = "USAGETAP_C_LIBRARY_DIR is unset (./test sets it from Embedding/c/build): the C interface is not tested"
    static let noModule: Comment = "USAGETAP_NGINX_MODULE is unset (./test sets it from Embedding/nginx/build): the nginx module is not tested"

    static func path(_ relative: String) -> String { repository.appendingPathComponent(relative).path }

    private static func setting(_ name: String) -> String? {
        guard let value = ProcessInfo.processInfo.environment[name], !value.isEmpty else { return nil }
        return value
    }

    /// A program this test needs, with a clear failure when it is not installed.
    static func program(_ name: String) throws -> String {
        guard let path = installedProgram(name) else {
            throw MissingProgram(description: "\(name) is not installed (./test installs it)")
        }
        return path
    }

    struct MissingProgram: Error, CustomStringConvertible {
        var description: String
    }
}

/// A fixture's record as the JSON lines carry it: key → scalar.
enum RecordJSON {
    static func parse(_ text: some StringProtocol) -> [String: RecordedFixtures.ExpectedValue]? {
        guard let data = String(text).data(using: .utf8) else { return nil }
        return try? JSONDecoder().decode([String: RecordedFixtures.ExpectedValue].self, from: data)
    }
}
