import ArgumentParser

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

@main
struct Usagetap: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "usagetap",
        abstract: "Reads LLM token usage from API responses as they stream.",
        subcommands: [ScanCommand.self, ProxyCommand.self, KeysCommand.self, TopupCommand.self, LedgerCommand.self]
    )

    /// Runs the command, printing any error as a single line on stderr (ArgumentParser's own
    /// reporting adds a usage block, which scripts reading stderr line by line do not want).
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let code as ExitCode {
            exit(withError: code)
        } catch {
            let code = exitCode(for: error)
            if code == .success { exit(withError: error) }  // --help and friends print as usual
            let message = message(for: error).split(whereSeparator: \.isNewline).first.map(String.init)
            Standard.error("usagetap: " + (message ?? "failed"))
            exit(withError: code)
        }
    }
}

/// Line output on the standard streams, stdout flushed first so lines keep their order.
enum Standard {
    static func error(_ line: String) {
        fflush(nil)
        var text = line + "\n"
        text.withUTF8 { bytes in _ = write(STDERR_FILENO, bytes.baseAddress, bytes.count) }
    }
}
