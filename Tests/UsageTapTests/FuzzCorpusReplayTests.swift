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
