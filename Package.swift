// swift-tools-version:6.1
import PackageDescription

// Fuzz targets (libFuzzer) exist only when USAGETAP_FUZZ is set, so that a plain build and
// `swift test` never see them: `Fuzz/run` sets it.
let fuzzing = Context.environment["USAGETAP_FUZZ"] != nil

let package = Package(
    name: "UsageTap",
    products: [
        .library(name: "EventStream", targets: ["EventStream"]),
        .library(name: "UsageTap", targets: ["UsageTap"]),
        // Prices and exact costs of usage records: apart from the tap, so that the tap is
        // embedded alone.
        .library(name: "Pricing", targets: ["Pricing"]),
        // Today's tap before the block-mask rewrite, for differential tests and the benchmarks'
        // `reference` row; not for embedding.
        .library(name: "ReferenceTap", targets: ["ReferenceTap"]),
        .executable(name: "usagetap", targets: ["usagetap"]),
        // The tap (and its prices) for C and everything that calls C: the header is
        // Sources/CUsageTapABI/include/usagetap.h; Embedding/c/build makes a self-contained
        // libusagetap.so and libusagetap.a.
        .library(name: "usagetap-c", type: .dynamic, targets: ["UsageTapC"]),
        .library(name: "usagetap-c-static", type: .static, targets: ["UsageTapC"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // Embeddable modules: nothing beyond the standard library.
        .target(name: "EventStream"),
        // Stage 1 of the tap: 64-byte blocks to bitmasks, with the widest vector unit the CPU
        // has (header-only C; a portable scalar path too).
        .target(name: "CUsageTapVector"),
        .target(name: "UsageTap", dependencies: ["EventStream", "CUsageTapVector"]),
        .target(
            name: "Pricing",
            dependencies: ["UsageTap"],
            // Embedded as a byte array: no Foundation bundle lookup, nothing to find at run time.
            resources: [.embedInCode("Resources/default-prices.txt")]
        ),
        // The C interface: the public header (and the answers that need no Swift), then the
        // functions behind it.
        .target(name: "CUsageTapABI"),
        .target(name: "UsageTapC", dependencies: ["CUsageTapABI", "UsageTap", "Pricing"]),
        // C libraries from Debian's -dev packages, imported privately by TapProxy and Metering.
        .systemLibrary(name: "CNghttp2", pkgConfig: "libnghttp2", providers: [.apt(["libnghttp2-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CPostgres", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        // Customer keys, balances and the usage ledger (SQLite, or PostgreSQL shared by proxies).
        .target(name: "Metering", dependencies: ["UsageTap", "Pricing", "CSQLite", "CPostgres", "COpenSSL"]),
        // The metering policy: whose key a request carries, whether its tenant may spend, the
        // ledger rows of finished responses written off the event loops, the replies, `/v1/usage`.
        .target(
            name: "MeteringPolicy",
            dependencies: [
                "Metering", "UsageTap",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .target(
            name: "TapProxy",
            dependencies: [
                "UsageTap", "Pricing", "Metering", "MeteringPolicy", "CNghttp2", "COpenSSL", "CZlib",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "usagetap",
            dependencies: [
                "UsageTap", "Pricing", "TapProxy", "Metering", "MeteringPolicy",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The fuzz targets' properties, also checked by `swift test` over the committed corpus.
        .target(name: "ReferenceTap", dependencies: ["EventStream", "UsageTap"], path: "Fuzz/Sources/ReferenceTap"),
        .target(name: "FuzzOracles", dependencies: ["EventStream", "UsageTap", "ReferenceTap"], path: "Fuzz/Sources/FuzzOracles"),
        .target(name: "TestSupport", dependencies: ["UsageTap", "EventStream", "FuzzOracles"], path: "Tests/TestSupport"),
        .testTarget(name: "EventStreamTests", dependencies: ["EventStream", "FuzzOracles", "TestSupport"]),
        .testTarget(name: "UsageTapTests", dependencies: ["UsageTap", "ReferenceTap", "FuzzOracles", "TestSupport"]),
        .testTarget(
            name: "PricingTests",
            dependencies: ["Pricing", "UsageTap", "TestSupport"],
            // An excerpt of LiteLLM's price file (MIT licence), entries copied unchanged.
            resources: [.copy("Resources/litellm-excerpt.json")]
        ),
        // The C interface, the nginx module, the Lua and Python bindings (Embedding/), from outside.
        .testTarget(name: "EmbeddingTests", dependencies: ["UsageTap", "Pricing", "TestSupport"]),
        .testTarget(name: "usagetapTests", dependencies: ["usagetap", "TestSupport"]),
        .testTarget(name: "MeteringTests", dependencies: ["Metering", "UsageTap", "Pricing", "TestSupport"]),
        .testTarget(
            name: "MeteringPolicyTests",
            dependencies: [
                "MeteringPolicy", "Metering", "Pricing", "UsageTap", "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "TapProxyTests", dependencies: ["TapProxy", "Metering", "MeteringPolicy", "Pricing", "usagetap", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)

if fuzzing {
    package.targets += [
        .executableTarget(name: "FuzzEventStream", dependencies: ["FuzzOracles"], path: "Fuzz/Sources/FuzzEventStream"),
        .executableTarget(name: "FuzzUsageTap", dependencies: ["FuzzOracles"], path: "Fuzz/Sources/FuzzUsageTap"),
        .executableTarget(name: "FuzzBody", dependencies: ["FuzzOracles"], path: "Fuzz/Sources/FuzzBody"),
        .executableTarget(name: "FuzzDifferential", dependencies: ["FuzzOracles"], path: "Fuzz/Sources/FuzzDifferential"),
    ]
}
