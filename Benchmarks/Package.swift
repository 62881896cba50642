// swift-tools-version:6.1
import PackageDescription

// The benchmarks are their own package so that the library's users never resolve
// ordo-one/benchmark. The library is the package one folder up; SwiftPM names a path dependency
// after its folder, which differs between clones, so the name is read from the path.
let libraryPackage = Context.packageDirectory.split(separator: "/").dropLast().last.map(String.init) ?? "UsageTap"

let package = Package(
    name: "UsageTapBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // The streams every contender reads, generated in code at realistic shapes.
        .target(name: "Workloads", dependencies: [.product(name: "UsageTap", package: libraryPackage)]),
        // The physical limit and the naive gateway, run on the same bytes as the tap.
        .target(name: "Baselines", dependencies: ["Workloads"]),
        // Writes the workloads to files, for the Python peer to read the same bytes.
        .executableTarget(name: "write-workloads", dependencies: ["Workloads"]),
        // Today's tap before the block rewrite over files, for Benchmarks/instructions.
        .executableTarget(name: "scan-reference", dependencies: [.product(name: "ReferenceTap", package: libraryPackage)]),
        .executableTarget(
            name: "TapBenchmarks",
            dependencies: [
                "Workloads", "Baselines",
                .product(name: "UsageTap", package: libraryPackage),
                .product(name: "EventStream", package: libraryPackage),
                .product(name: "ReferenceTap", package: libraryPackage),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/TapBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
