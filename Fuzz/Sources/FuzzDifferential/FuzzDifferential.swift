import FuzzOracles

/// libFuzzer entry: the tap against the reference tap on the same bytes, cut at random points.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDifferential(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    if let failure = Oracles.tapAgreesWithReference(UnsafeRawBufferPointer(start: data, count: size)) {
        fatalError(failure)
    }
    return 0
}
