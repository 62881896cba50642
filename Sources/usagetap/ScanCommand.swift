import ArgumentParser
import Pricing
import UsageTap

/// `usagetap scan`: the tap over files, one usage record per input.
struct ScanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Print the usage record of each response file (or of stdin) as one JSON line.",
        discussion: """
            Each input is fed to its own tap in slices of --chunk-bytes bytes, as a proxy would \
            see it arrive. Exits 0 when every input was read, whatever it held; an input that \
            cannot be read gets a one-line error on stderr and a non-zero exit, after the other \
            inputs' records.
            """
    )

    static let largestChunk = 64 << 20
    static let readBlock = 64 << 10

    @Option(name: .customLong("protocol"), help: "The protocol of the inputs, or auto to detect it per input.")
    var selection: ProtocolSelection = .auto

    @Option(help: "Feed the tap slices of this many bytes (1 to 67108864).")
    var chunkBytes: Int = 65536

    @Option(help: "Add each response's cost, priced by the built-in table ('default') or a price file (LiteLLM's JSON or UsageTap's format).")
    var prices: String?

    @Argument(help: "Response bodies to read; stdin when none, or '-'.")
    var files: [String] = []

    func validate() throws {
        guard (1...Self.largestChunk).contains(chunkBytes) else {
            throw ValidationError("--chunk-bytes must be between 1 and \(Self.largestChunk), not \(chunkBytes)")
        }
    }

    func run() throws {
        let table = try prices.map(PriceSource.load)
        let buffer = UnsafeMutableRawBufferPointer.allocate(
            byteCount: max(chunkBytes, Self.readBlock), alignment: 16)
        defer { buffer.deallocate() }
        var allRead = true
        for path in files.isEmpty ? ["-"] : files {
            do {
                let record = try scan(InputFile(path: path), buffer: buffer)
                print(table.map { record.jsonLine(cost: $0.cost(of: record)) } ?? record.jsonLine)
            } catch {
                Standard.error("usagetap: \(error)")
                allRead = false
            }
        }
        if !allRead { throw ExitCode.failure }
    }

    /// Reads the whole input into one tap, `chunkBytes` at a time.
    private func scan(_ input: borrowing InputFile, buffer: UnsafeMutableRawBufferPointer) throws -> UsageRecord {
        var tap = UsageTap(protocol: selection)
        // Read once: each read of an option goes through ArgumentParser's property wrapper,
        // which costs more than the tap's work on a one-byte chunk.
        let chunk = chunkBytes
        while true {
            let filled = try input.fill(buffer)
            var offset = 0
            while offset < filled {
                let end = min(offset + chunk, filled)
                tap.feed(UnsafeRawBufferPointer(rebasing: buffer[offset..<end]))
                offset = end
            }
            if filled < buffer.count { return tap.finish() }
        }
    }
}
