// swift-tools-version: 6.1
import PackageDescription

/// Every plugin depends on the contracts (LibP2PRegistry) and the shared primitives
/// (LibP2PCore) only: plugins never import each other, the runner, or the list of
/// built-ins.
let plugin: [Target.Dependency] = [
    "LibP2PCore",
    "LibP2PRegistry",
    .product(name: "NIOCore", package: "swift-nio"),
    .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
]

/// Muxers also share the muxer scaffold (read loop, frame writer, stream table,
/// accept backlog, shutdown), a module of its own so they still never import each other.
let muxerPlugin: [Target.Dependency] = plugin + ["LibP2PMuxerScaffold"]

let package = Package(
    name: "swift-libp2p-interop",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "libp2p-interop", targets: ["libp2p-interop"]),
        // LibP2PCore: the shared primitives the plugin contracts speak in (ByteStream,
        // keys, multiaddrs), for a plugin written in another package
        // (Examples/PlaintextSecurity) and for the Benchmarks/ package.
        .library(name: "LibP2PCore", targets: ["LibP2PCore"]),
        .library(name: "LibP2PRegistry", targets: ["LibP2PRegistry"]),
        .library(name: "LibP2PHost", targets: ["LibP2PHost"]),
        .library(name: "LibP2PBuiltins", targets: ["LibP2PBuiltins"]),
        // The muxers on their own (frames, codecs, sessions), for programs that want
        // one without the rest, and for the frame benchmarks in Benchmarks/.
        .library(name: "LibP2PYamux", targets: ["LibP2PYamux"]),
        .library(name: "LibP2PMplex", targets: ["LibP2PMplex"]),
        .library(name: "LibP2PConformance", targets: ["LibP2PConformance"]),
        // What a plugin written in another package needs to build and test its own
        // interop binary: the test binary's entry point and the pair runner.
        .library(name: "InteropRunner", targets: ["InteropRunner"]),
        .library(name: "InteropMatrix", targets: ["InteropMatrix"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        // No default traits: BinaryDelimitedStreams imports the full Foundation (and ICU),
        // which the binary otherwise does without; see Sources/CLI/StandardStreams.swift.
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0", traits: []),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.1.0"),
        // `swift package generate-documentation` (scripts/docs.sh); a plugin only, nothing links it.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin.git", from: "1.5.0"),
    ],
    targets: [
        // C libraries: a module map and a shim header each, nothing else.
        .systemLibrary(
            // No pkgConfig: hiredis.pc adds -D_FILE_OFFSET_BITS=64, which SwiftPM refuses
            // with a warning; the header is on the default include path anyway.
            name: "CHiredis", path: "Sources/CHiredis",
            providers: [.apt(["libhiredis-dev"])]),
        .systemLibrary(
            name: "CSodium", path: "Sources/CSodium", pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"])]),
        .systemLibrary(
            name: "COpenSSL", path: "Sources/COpenSSL", pkgConfig: "openssl",
            providers: [.apt(["libssl-dev"])]),
        // QUIC (ngtcp2 0.12 and its GnuTLS crypto helper) and the TLS 1.3 inside it.
        .systemLibrary(
            name: "CNGTCP2", path: "Sources/CNGTCP2", pkgConfig: "libngtcp2_crypto_gnutls",
            providers: [.apt(["libngtcp2-dev", "libngtcp2-crypto-gnutls-dev"])]),
        .systemLibrary(
            name: "CGnuTLS", path: "Sources/CGnuTLS", pkgConfig: "gnutls",
            providers: [.apt(["libgnutls28-dev"])]),

        // Shared primitives: byte streams, varints, multiaddr, keys, peer IDs,
        // multistream-select, protobuf messages.
        .target(
            name: "LibP2PCore",
            dependencies: [
                "CSodium", "COpenSSL",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            path: "Sources/Core",
            exclude: ["Concurrency/README.md", "Protobuf/README.md", "Protobuf/keys.proto", "Protobuf/noise.proto", "Protobuf/identify.proto"]),
        // The contracts every plugin conforms to, the registry, the upgrader.
        .target(
            name: "LibP2PRegistry",
            dependencies: [
                "LibP2PCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Registry"),

        // Socket machinery shared by the transports that run over TCP (bootstrap,
        // inbound buffer, outbound window, accept queue): not a plugin, so TCP and
        // WebSocket can both depend on it without importing each other.
        .target(
            name: "LibP2PSockets",
            dependencies: plugin + [.product(name: "NIOPosix", package: "swift-nio")],
            path: "Sources/Sockets", exclude: ["README.md"]),
        // What every muxer shares: frame loop, serialized writer with control-frame
        // priority, stream table, accept backlog, shutdown fan-out.
        .target(
            name: "LibP2PMuxerScaffold",
            dependencies: plugin + [.product(name: "DequeModule", package: "swift-collections")],
            path: "Sources/MuxerScaffold", exclude: ["README.md"]),

        // The libp2p TLS certificate (make, verify; DER in, DER out), shared by the two
        // plugins that speak libp2p TLS: tls over a byte stream, and quic-v1.
        .target(
            name: "LibP2PTLSCertificate",
            dependencies: ["LibP2PCore", "LibP2PRegistry", "COpenSSL", .product(name: "NIOConcurrencyHelpers", package: "swift-nio")],
            path: "Sources/TLSCertificate", exclude: ["README.md"]),

        // Plugins.
        .target(
            name: "LibP2PTCP",
            dependencies: plugin + ["LibP2PSockets", .product(name: "NIOPosix", package: "swift-nio")],
            path: "Sources/Plugins/TCP", exclude: ["README.md"]),
        .target(
            name: "LibP2PWebSocket",
            dependencies: plugin + [
                "LibP2PSockets", "COpenSSL",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Plugins/WebSocket", exclude: ["README.md"]),
        .target(
            name: "LibP2PNoise",
            dependencies: plugin + ["CSodium", "COpenSSL", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            path: "Sources/Plugins/Noise", exclude: ["README.md"]),
        .target(name: "LibP2PTLS", dependencies: plugin + ["COpenSSL", "LibP2PTLSCertificate"], path: "Sources/Plugins/TLS", exclude: ["README.md"]),
        // quic-v1: ngtcp2 + GnuTLS over NIO's UDP sockets; secures and multiplexes itself.
        .target(
            name: "LibP2PQUIC",
            dependencies: plugin + [
                "CNGTCP2", "CGnuTLS", "LibP2PTLSCertificate", "LibP2PSockets",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            path: "Sources/Plugins/QUIC", exclude: ["README.md"]),
        .target(name: "LibP2PYamux", dependencies: muxerPlugin, path: "Sources/Plugins/Yamux", exclude: ["README.md"]),
        .target(name: "LibP2PMplex", dependencies: muxerPlugin, path: "Sources/Plugins/Mplex", exclude: ["README.md"]),

        // The list of built-in plugins, in one place: `Registry.builtin()`. Plugins never import it.
        .target(
            name: "LibP2PBuiltins",
            dependencies: ["LibP2PRegistry", "LibP2PTCP", "LibP2PWebSocket", "LibP2PQUIC", "LibP2PNoise", "LibP2PTLS", "LibP2PYamux", "LibP2PMplex"],
            path: "Sources/Builtins"),
        // A libp2p host any Swift program can use: dial/listen by multiaddr, protocol
        // handlers by ID, ping and identify. No Redis, no env vars.
        .target(
            name: "LibP2PHost",
            dependencies: [
                "LibP2PCore", "LibP2PRegistry",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            path: "Sources/Host", exclude: ["README.md"]),
        // The interop harnesses' contract: env vars, Redis rendezvous, the two roles, results.
        .target(
            name: "InteropRunner",
            dependencies: [
                "LibP2PCore", "LibP2PRegistry", "LibP2PHost", "CHiredis",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Runner", exclude: ["README.md"]),
        // The local interop matrix (a dev tool): child processes, a private Redis, reports.
        .target(
            name: "InteropMatrix",
            dependencies: ["InteropRunner", "LibP2PCore", "LibP2PRegistry"],
            path: "Sources/Matrix", exclude: ["README.md"]),
        .executableTarget(
            name: "libp2p-interop",
            dependencies: [
                "InteropRunner", "InteropMatrix", "LibP2PBuiltins",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/CLI"),

        // Shared test kit: an in-memory duplex pipe and conformance suites that any
        // plugin runs with one line. Depends on the contracts only.
        .target(
            name: "LibP2PConformance",
            dependencies: [
                "LibP2PCore", "LibP2PRegistry",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            path: "Sources/Conformance"),

        .testTarget(name: "CoreTests", dependencies: ["LibP2PCore", "LibP2PConformance", .product(name: "NIOCore", package: "swift-nio")]),
        .testTarget(name: "RegistryTests", dependencies: ["LibP2PRegistry", "LibP2PConformance"]),
        .testTarget(name: "TCPTests", dependencies: ["LibP2PTCP", "LibP2PSockets", "LibP2PConformance"]),
        .testTarget(
            name: "WebSocketTests",
            dependencies: [
                "LibP2PWebSocket", "LibP2PSockets", "LibP2PConformance",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]),
        .testTarget(name: "NoiseTests", dependencies: ["LibP2PNoise", "LibP2PConformance", "CSodium"]),
        .testTarget(name: "MuxerScaffoldTests", dependencies: ["LibP2PMuxerScaffold", "LibP2PConformance"]),
        .testTarget(name: "YamuxTests", dependencies: ["LibP2PYamux", "LibP2PConformance"]),
        .testTarget(name: "MplexTests", dependencies: ["LibP2PMplex", "LibP2PConformance"]),
        .testTarget(name: "RunnerTests", dependencies: ["InteropRunner", "InteropMatrix", "LibP2PBuiltins", "LibP2PConformance"]),
        // The host over real TCP: handlers, one-ping listeners, connection limits.
        .testTarget(
            name: "HostTests",
            dependencies: [
                "LibP2PHost", "LibP2PBuiltins", "LibP2PCore", "LibP2PRegistry", "LibP2PConformance",
                .product(name: "NIOCore", package: "swift-nio"),
            ]),
        .testTarget(name: "MatrixTests", dependencies: ["InteropMatrix", "InteropRunner"]),
        // Misbehaving TLS peers built straight on OpenSSL (raw client/server, bad
        // certificates), shared by the TLS tests and the adversarial suite.
        .target(
            name: "TLSTestKit",
            dependencies: ["LibP2PCore", "COpenSSL", .product(name: "NIOCore", package: "swift-nio")],
            path: "Sources/TLSTestKit"),
        .testTarget(name: "TLSTests", dependencies: ["LibP2PTLS", "LibP2PTLSCertificate", "LibP2PConformance", "COpenSSL", "TLSTestKit"]),
        .testTarget(
            name: "QUICTests",
            dependencies: [
                "LibP2PQUIC", "LibP2PTLSCertificate", "LibP2PConformance", "LibP2PCore", "LibP2PRegistry",
                "CNGTCP2", "CGnuTLS", "TLSTestKit",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]),
        .testTarget(name: "KeyTypeTests", dependencies: ["LibP2PCore", "LibP2PConformance", "COpenSSL"]),
        // End to end: libp2p-interop processes through Redis, Swift x Swift and x py-libp2p.
        .testTarget(
            name: "InteropTests",
            dependencies: [
                "InteropRunner", "InteropMatrix", "LibP2PHost", "LibP2PBuiltins", "LibP2PRegistry", "LibP2PCore",
                .product(name: "NIOCore", package: "swift-nio"),
            ]),
        // A real listener process attacked over real sockets (issue 9's adversarial suite).
        .testTarget(
            name: "AdversarialTests",
            dependencies: [
                "InteropRunner", "InteropMatrix", "LibP2PHost", "LibP2PBuiltins", "LibP2PRegistry", "LibP2PCore",
                "LibP2PNoise", "LibP2PTCP", "TLSTestKit", "COpenSSL",
                .product(name: "NIOCore", package: "swift-nio"),
            ]),
    ],
    swiftLanguageModes: [.v6]
)
