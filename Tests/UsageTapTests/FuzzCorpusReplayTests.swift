import FuzzOracles
import Testing
import TestSupport

/// Every committed fuzz input of the tap targets still satisfies its oracle.
@Suite("Fuzz corpus replay: UsageTap")
struct UsageTapFuzzReplayTests {
    @Test(arguments: [("UsageTap", false), ("Body", true)])
    func everyCorpusFileAndFailcaseGivesTheSameRecordWholeAndSliced(target: String, asBody: Bool) {
        let inputs = FuzzCorpus.inputs(of: target)
        #expect(!inputs.isEmpty, "Fuzz/corpus/\(target) is empty")
        for input in inputs {
            let failure = input.bytes.withUnsafeBytes { Oracles.tapIgnoresSlicing($0, asBody: asBody) }
            #expect(failure == nil, "\(input.name)")
        }
    }
}

/// The tap and the reference tap (today's scanner with the contract's two changes) give the
/// same record for every committed input of the tap targets and of `Differential`.
@Suite("Fuzz corpus replay: Differential")
struct DifferentialReplayTests {
    @Test(arguments: ["Differential", "UsageTap", "Body"])
    func everyCorpusFileGivesTheReferencesRecord(target: String) {
        let inputs = FuzzCorpus.inputs(of: target)
        #expect(!inputs.isEmpty, "Fuzz/corpus/\(target) is empty")
        for input in inputs {
            var bytes = input.bytes
            // The Body target's inputs are read as bodies: the bit that asks for that.
            if target == "Body", !bytes.isEmpty { bytes[0] |= 0x80 }
            let failure = bytes.withUnsafeBytes { Oracles.tapAgreesWithReference($0) }
            #expect(failure == nil, "\(input.name): \(failure ?? "")")
        }
    }
}
