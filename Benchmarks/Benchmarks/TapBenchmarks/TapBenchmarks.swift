import Baselines
import Benchmark
import EventStream
import Foundation
import ReferenceTap
import UsageTap
import Workloads

// Each workload is read five ways in one run: by the tap, by today's tap before the block
// rewrite (the reference the new one must beat, ReferenceTap), by the event-stream tokenizer
// alone, by memchr (the limit), and by the naive Foundation gateway (the baseline). The Python SDK peer runs outside, on the same bytes.
//
// USAGETAP_BENCH_SCALE sets the streams' length (1: about 16 MiB each); USAGETAP_BENCH_QUICK
// shortens each benchmark's run. Benchmarks/run sets both.
let benchmarks: @Sendable () -> Void = {
    let environment = ProcessInfo.processInfo.environment
    let scale = environment["USAGETAP_BENCH_SCALE"].flatMap(Double.init) ?? 1
    let quick = environment["USAGETAP_BENCH_QUICK"] != nil
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal, .peakMemoryResident],
        warmupIterations: 1,
        maxDuration: quick ? .milliseconds(500) : .seconds(3),
        maxIterations: quick ? 10 : 100
    )
    for workload in Workload.all(scale: scale) {
        registerTap(workload)
        registerReference(workload)
        registerTokenizer(workload)
        registerMemchr(workload)
        registerNaive(workload)
    }
}

/// The tap over the workload's slices. Only the reading is measured: the record's strings,
/// made once per stream, are built after the measurement stops and checked against the
/// workload's expected record, so that a fast wrong tap cannot report a result.
func registerTap(_ workload: Workload) {
    Benchmark("tap.\(workload.name)") { benchmark in
        var tap = UsageTap(protocol: .auto)
        workload.forEachSlice { tap.feed($0) }
        benchmark.stopMeasurement()
        let record = tap.finish()
        precondition(record == workload.expected, "tap.\(workload.name) read \(record)")
    }
}

/// The reference tap, measured and checked the same way.
func registerReference(_ workload: Workload) {
    Benchmark("reference.\(workload.name)") { benchmark in
        var tap = ReferenceTap(protocol: .auto)
        workload.forEachSlice { tap.feed($0) }
        benchmark.stopMeasurement()
        let record = tap.finish()
        precondition(record == workload.expected, "reference.\(workload.name) read \(record)")
    }
}

/// The tokenizer with a handler that does nothing: the SSE framing's share of the tap's work.
func registerTokenizer(_ workload: Workload) {
    struct Discard: EventStreamHandler {}
    Benchmark("tokenizer.\(workload.name)") { _ in
        var tokenizer = EventStreamTokenizer()
        var handler = Discard()
        workload.forEachSlice { tokenizer.feed($0, to: &handler) }
        tokenizer.finish(to: &handler)
    }
}

func registerMemchr(_ workload: Workload) {
    Benchmark("memchr.\(workload.name)") { _ in
        blackHole(MemchrLineSearch.lineFeeds(in: workload))
    }
}

func registerNaive(_ workload: Workload) {
    let expected = NaiveGateway.Usage(input: workload.expected.inputTokens ?? 0, output: workload.expected.outputTokens ?? 0)
    Benchmark("naive.\(workload.name)") { benchmark in
        let gateway = NaiveGateway.read(workload)
        benchmark.stopMeasurement()
        precondition(gateway.usage == expected, "naive.\(workload.name) read \(String(describing: gateway.usage))")
    }
}
