// swift-tools-version: 6.1
import PackageDescription

/// The project's benchmarks, a package of their own so that the main build and CI's
/// test run never resolve or compile package-benchmark. Depends on the main package
/// by path: it always measures the code beside it.
let package = Package(
    name: "swift-libp2p-interop-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "swift-libp2p-interop", path: ".."),
        // The malloc interposer gives allocation counts; the runtime interposer (a
        // default trait) does not build with this toolchain, so the traits are named.
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        // Moving bytes through a real stack: loopback TCP → security → muxer, and the
        // same layers over an in-memory pipe. Shared by the benchmarks and `throughput`.
        .target(
            name: "ThroughputKit",
            dependencies: [
                .product(name: "LibP2PCore", package: "swift-libp2p-interop"),
                .product(name: "LibP2PRegistry", package: "swift-libp2p-interop"),
                .product(name: "LibP2PBuiltins", package: "swift-libp2p-interop"),
                .product(name: "LibP2PConformance", package: "swift-libp2p-interop"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]),
        // `swift run -c release throughput`: GB/s per combination, one stream each way.
        .executableTarget(
            name: "throughput",
            dependencies: ["ThroughputKit", .product(name: "LibP2PYamux", package: "swift-libp2p-interop")]),
        // `swift package benchmark`: allocation and instruction counts, wall clock.
        .executableTarget(
            name: "LibP2PBenchmarks",
            dependencies: [
                "ThroughputKit",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "LibP2PYamux", package: "swift-libp2p-interop"),
                .product(name: "LibP2PMplex", package: "swift-libp2p-interop"),
                .product(name: "LibP2PCore", package: "swift-libp2p-interop"),
                .product(name: "LibP2PRegistry", package: "swift-libp2p-interop"),
                .product(name: "LibP2PBuiltins", package: "swift-libp2p-interop"),
                .product(name: "LibP2PConformance", package: "swift-libp2p-interop"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Benchmarks/LibP2PBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]),
    ],
    swiftLanguageModes: [.v6]
)
