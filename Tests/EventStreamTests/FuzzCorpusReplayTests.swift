import FuzzOracles
import Testing
import TestSupport

/// Every committed fuzz input of the tokenizer target still satisfies its oracle.
@Suite("Fuzz corpus replay: EventStream")
struct EventStreamFuzzReplayTests {
    @Test func everyCorpusFileAndFailcaseKeepsTheTokenizerIndependentOfSlicing() {
        let inputs = FuzzCorpus.inputs(of: "EventStream")
        #expect(!inputs.isEmpty, "Fuzz/corpus/EventStream is empty")
        for input in inputs {
            let failure = input.bytes.withUnsafeBytes { Oracles.tokenizerIgnoresSlicing($0) }
            #expect(failure == nil, "\(input.name)")
        }
    }
}
