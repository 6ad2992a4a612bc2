// swift-tools-version: 6.0
import PackageDescription

/// A security plugin written outside swift-libp2p-interop: it depends on that
/// package by path, as any other package would by URL, and uses only its products.
let package = Package(
    name: "PlaintextSecurity",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "PlaintextSecurity", targets: ["PlaintextSecurity"]),
        .executable(name: "plaintext-interop", targets: ["plaintext-interop"]),
    ],
    dependencies: [
        .package(name: "swift-libp2p-interop", path: "../.."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    ],
    targets: [
        // The plugin: the contracts (LibP2PRegistry) and the primitives they speak in (LibP2PCore).
        .target(
            name: "PlaintextSecurity",
            dependencies: [
                .product(name: "LibP2PCore", package: "swift-libp2p-interop"),
                .product(name: "LibP2PRegistry", package: "swift-libp2p-interop"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]),
        // The interop test binary: the built-ins plus this plugin.
        .executableTarget(
            name: "plaintext-interop",
            dependencies: [
                "PlaintextSecurity",
                .product(name: "LibP2PBuiltins", package: "swift-libp2p-interop"),
                .product(name: "LibP2PRegistry", package: "swift-libp2p-interop"),
                .product(name: "InteropRunner", package: "swift-libp2p-interop"),
            ]),
        .testTarget(
            name: "PlaintextSecurityTests",
            dependencies: [
                "PlaintextSecurity",
                .product(name: "LibP2PConformance", package: "swift-libp2p-interop"),
                .product(name: "LibP2PCore", package: "swift-libp2p-interop"),
                .product(name: "InteropMatrix", package: "swift-libp2p-interop"),
                .product(name: "LibP2PRegistry", package: "swift-libp2p-interop"),
            ]),
    ],
    swiftLanguageModes: [.v6]
)
