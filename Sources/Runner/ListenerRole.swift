import LibP2PCore
import LibP2PHost
import LibP2PRegistry
import Logging

/// The listener of one interop test (and of perf): listen, publish `<addr>/p2p/<id>`
/// through Redis, serve until killed.
enum ListenerRole {
    /// How the address reaches the dialer: the transport test RPUSHes it, perf SETs it.
    typealias Publish = @Sendable (_ address: String, _ config: InteropConfig, _ logger: Logger) async throws -> Void

    /// Returns only by throwing (the harness kills the listener once the dialer is done).
    static func run(
        config: InteropConfig, host: Host, transport: any Transport, logger: Logger,
        publish: Publish = RedisRendezvous.publish
    ) async throws -> Never {
        let listenAddress: Multiaddr
        do {
            listenAddress = try transport.listenAddress(ip: config.listenIP)
        } catch {
            throw InteropFailure(.config, "bad listen IP '\(config.listenIP)': \(error)")
        }
        let listener: HostListener
        do {
            listener = try await host.listen(on: listenAddress)
        } catch let error as HostError {
            throw InteropFailure(error)
        }
        guard let first = listener.addresses.first else {
            await listener.close()
            throw InteropFailure(.listen, "the listener reports no address")
        }
        let dialable = first.appending(.p2p(host.peerID))
        do {
            try await publish(dialable.description, config, logger)
        } catch {
            await listener.close()
            throw error
        }
        logger.info("listening", metadata: ["address": "\(dialable)"])
        await listener.run()
        throw InteropFailure(.listen, "the listener stopped accepting connections")
    }
}
