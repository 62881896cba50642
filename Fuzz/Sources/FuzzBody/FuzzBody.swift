import FuzzOracles

/// libFuzzer entry: the JSON-body path (a `{` is put in front of the input).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBody(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    if let failure = Oracles.tapIgnoresSlicing(UnsafeRawBufferPointer(start: data, count: size), asBody: true) {
        fatalError(failure)
    }
    return 0
}
