import FuzzOracles

/// libFuzzer entry: the EventStream tokenizer on raw bytes, control byte 0 choosing the cuts.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEventStream(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    if let failure = Oracles.tokenizerIgnoresSlicing(UnsafeRawBufferPointer(start: data, count: size)) {
        fatalError(failure)
    }
    return 0
}
