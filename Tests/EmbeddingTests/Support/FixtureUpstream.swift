import Foundation
import TestSupport

/// `Tests/Embedding/fixture_upstream.py`: the recorded fixtures over HTTP/1.1 on loopback, with
/// Content-Length, chunked, gzip, or cut off halfway (`/length/NAME`, `/chunked/NAME`, …).
final class FixtureUpstream {
    let port: Int
    private let process: ChildProcess

    init(folder: ScratchFolder) throws {
        let portFile = folder.path("upstream.port")
        process = try ChildProcess(
            try Embedding.program("python3"),
            [Embedding.path("Tests/Embedding/fixture_upstream.py"), RecordedFixtures.directory.path, portFile],
            name: "upstream", folder: folder.url)
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            if let text = readWholeFile(portFile), let port = Int(String(decoding: text, as: UTF8.self)) {
                self.port = port
                return
            }
            usleep(20_000)
        }
        process.stop()
        throw Embedding.MissingProgram(description: "the fixture upstream did not start: \(process.standardError)")
    }

    deinit { process.stop() }
}
