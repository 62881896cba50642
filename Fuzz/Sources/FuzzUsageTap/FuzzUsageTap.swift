import FuzzOracles

/// libFuzzer entry: UsageTap in auto mode and under each protocol (control byte 0), cut at
/// points control byte 1 chooses.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzUsageTap(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    if let failure = Oracles.tapIgnoresSlicing(UnsafeRawBufferPointer(start: data, count: size), asBody: false) {
        fatalError(failure)
    }
    return 0
}
