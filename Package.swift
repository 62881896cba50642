// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "UsageTap",
    products: [
        .library(name: "EventStream", targets: ["EventStream"]),
        .library(name: "UsageTap", targets: ["UsageTap"]),
        .executable(name: "usagetap", targets: ["usagetap"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // Embeddable modules: nothing beyond the standard library.
        .target(name: "EventStream"),
        .target(name: "UsageTap", dependencies: ["EventStream"]),
        .executableTarget(
            name: "usagetap",
            dependencies: [
                "UsageTap",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(name: "TestSupport", dependencies: ["UsageTap", "EventStream"], path: "Tests/TestSupport"),
        .testTarget(name: "EventStreamTests", dependencies: ["EventStream", "TestSupport"]),
        .testTarget(name: "UsageTapTests", dependencies: ["UsageTap", "TestSupport"]),
        .testTarget(name: "usagetapTests", dependencies: ["usagetap", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
