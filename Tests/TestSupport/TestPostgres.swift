import Foundation
import Testing

/// The PostgreSQL server that `./test` starts on loopback (Tests/postgres-server.bash), named by
/// `USAGETAP_TEST_POSTGRES_URL`. Each test takes a database of its own from it.
///
/// Where the variable is unset (`swift test` run alone, or no PostgreSQL installed), the tests
/// that need it are skipped with `skipReason`.
public enum TestPostgres {
    public static let adminURL = ProcessInfo.processInfo.environment["USAGETAP_TEST_POSTGRES_URL"]

    public static var isAvailable: Bool { adminURL != nil }

    public static let skipReason: Comment =
        "USAGETAP_TEST_POSTGRES_URL is unset (./test starts a PostgreSQL server and sets it): PostgreSQL ledger not tested"

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// The URL of a new, empty database on the test server, made with psql as an operator would.
    public static func newDatabase() throws -> String {
        guard let adminURL, let slash = adminURL.lastIndex(of: "/") else { throw Failure(description: "\(skipReason)") }
        let name = "usagetap_" + UUID().uuidString.prefix(8).lowercased()
        let psql = Process()
        psql.executableURL = URL(fileURLWithPath: "/usr/bin/psql")
        psql.arguments = ["-q", "-v", "ON_ERROR_STOP=1", adminURL, "-c", "CREATE DATABASE \(name)"]
        let errors = Pipe()
        psql.standardError = errors
        try psql.run()
        let message = errors.fileHandleForReading.readDataToEndOfFile()
        psql.waitUntilExit()
        guard psql.terminationStatus == 0 else {
            throw Failure(description: "psql could not create a database: \(String(decoding: message, as: UTF8.self))")
        }
        return adminURL[..<slash] + "/" + name
    }
}
