import LibP2PCore
import LibP2PHost
import LibP2PRegistry
import Logging

/// The listener of one interop test: listen, publish `<addr>/p2p/<id>` through
/// Redis, serve until killed.
enum ListenerRole {
    /// Returns only by throwing (the harness kills the listener once the dialer is done).
    static func run(config: InteropConfig, host: Host, transport: any Transport, logger: Logger) async throws -> Never {
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
            try await RedisRendezvous.publish(dialable.description, config: config, logger: logger)
        } catch {
            await listener.close()
            throw error
        }
        logger.info("listening", metadata: ["address": "\(dialable)"])
        await listener.run()
        throw InteropFailure(.listen, "the listener stopped accepting connections")
    }
}
