// swift-tools-version: 6.0
import PackageDescription

/// libFuzzer targets for every parser that reads network bytes. A package of its own
/// so the main build never sees `-sanitize=fuzzer`: build and run it through
/// `scripts/fuzz.sh`, which passes
/// `-Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -enable-testing`.
/// `-enable-testing` lets the targets reach the plugins' internal parsers with
/// `@testable import` without widening the project's public API.
let package = Package(
    name: "libp2p-fuzz",
    dependencies: [
        .package(name: "swift-libp2p-interop", path: ".."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.1.0"),
    ],
    targets: [
        .target(name: "CLibFuzzer", path: "Sources/CLibFuzzer"),
        .executableTarget(
            name: "libp2p-fuzz",
            dependencies: [
                "CLibFuzzer",
                .product(name: "LibP2PBuiltins", package: "swift-libp2p-interop"),
                .product(name: "LibP2PHost", package: "swift-libp2p-interop"),
                .product(name: "LibP2PConformance", package: "swift-libp2p-interop"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            path: "Sources/LibP2PFuzz"),
    ],
    swiftLanguageModes: [.v6]
)
