import LibP2PBuiltins
import LibP2PCore
import LibP2PHost
import LibP2PRegistry
import Logging

/// Hosts over real TCP on loopback, built from the registry.
enum TestHosts {
    static let registry = Registry.builtin()

    static func host(_ combination: Combination, limits: ConnectionLimits = ConnectionLimits()) throws -> Host {
        let (transport, upgrader) = try registry.pipeline(for: combination, identity: .generateEd25519())
        return try Host(transport: transport, upgrader: upgrader, limits: limits, logger: quietLogger)
    }

    /// Warnings only: hundreds of connections would otherwise log a line each.
    static var quietLogger: Logger {
        var logger = Logger(label: "test-host")
        logger.logLevel = .warning
        return logger
    }

    static let noiseYamux = Combination(transport: "tcp", security: "noise", muxer: "yamux")

    /// The registry's tcp, for tests that open raw sockets to a listener.
    static var rawTCP: any ByteStreamTransport {
        get throws {
            guard let tcp = try registry.transport(named: "tcp") as? any ByteStreamTransport else {
                throw TestSupportError("the registry's tcp is not a byte-stream transport")
            }
            return tcp
        }
    }

    /// Listens on loopback with `host`, runs `body` with the listener and its
    /// dialable address while the listener serves, then closes it and waits for
    /// its `run()` to return.
    @discardableResult
    static func serving<T: Sendable>(
        _ host: Host, _ body: @Sendable (HostListener, Multiaddr) async throws -> T
    ) async throws -> T {
        let listener = try await host.listen(on: try host.transports[0].listenAddress(ip: "127.0.0.1"))
        let address = listener.addresses[0].appending(.p2p(host.peerID))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await listener.run() }
            do {
                let result = try await body(listener, address)
                await listener.close()
                try await group.waitForAll()
                return result
            } catch {
                await listener.close()
                try? await group.waitForAll()
                throw error
            }
        }
    }
}

struct TestSupportError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
