import LibP2PCore
import LibP2PRegistry
import Logging
import NIOCore

/// The two sides of one interop test.
public enum InteropRoles {
    /// How long to keep retrying Redis: compose starts it with no readiness wait,
    /// but a Redis that never comes up must be reported as such, inside the test
    /// timeout, not as a bare timeout.
    static func redisRetryWindow(for timeout: Duration) -> Duration {
        min(.seconds(30), max(.seconds(1), timeout - .seconds(2)))
    }
    /// At most this many inbound connections are served at once.
    static let maxConcurrentConnections = 64

    /// Listener: listen, publish `<addr>/p2p/<id>` through Redis, serve until killed.
    /// Returns only on error (the harness kills it once the dialer is done).
    public static func runListener(config: InteropConfig, host: Host, logger: Logger) async throws {
        let redis = try await connectRedis(config, logger: logger)
        let listenAddress: Multiaddr
        do {
            let ipComponent: Multiaddr.Component = config.listenIP.contains(":")
                ? try .init(name: "ip6", value: config.listenIP) : try .init(name: "ip4", value: config.listenIP)
            listenAddress = Multiaddr(components: [ipComponent, .tcp(0)])
        } catch {
            throw InteropFailure(.config, "bad listen IP '\(config.listenIP)': \(error)")
        }
        let listener: any Listener
        do {
            listener = try await host.transport.listen(listenAddress)
        } catch {
            await redis.close()
            throw InteropFailure(.listen, "cannot listen on \(listenAddress): \(error)")
        }
        let published = listener.localAddresses.map(InterfaceAddresses.publishable)
        host.setListenAddresses(published)
        guard let first = published.first else {
            await redis.close()
            throw InteropFailure(.listen, "the listener reports no address")
        }
        let dialable = first.appending(.p2p(host.peerID))
        do {
            try await redis.rpush(key: config.redisKey, value: dialable.description)
            await redis.close()
        } catch {
            await redis.close()
            throw InteropFailure(.redis, "cannot publish the listen address: \(error)")
        }
        logger.info("listening", metadata: ["address": "\(dialable)"])

        await withTaskGroup(of: Void.self) { group in
            var active = 0
            while let raw = try? await listener.accept() {
                if active >= maxConcurrentConnections {
                    _ = await group.next()
                    active -= 1
                }
                active += 1
                group.addTask { await serveInbound(raw, host: host, logger: logger) }
            }
        }
    }

    private static func serveInbound(_ raw: any RawConnection, host: Host, logger: Logger) async {
        let remote = raw.remoteAddress
        do {
            let upgraded = try await withDeadline(.seconds(30), "inbound upgrade") {
                try await host.upgrader.upgradeInbound(raw)
            }
            logger.info(
                "inbound connection",
                metadata: ["peer": "\(upgraded.remotePeer)", "from": "\(remote)", "muxer": "\(upgraded.muxerID)"])
            let _: Int? = try await host.serve(upgraded, observed: remote)
        } catch {
            logger.warning("inbound connection failed", metadata: ["from": "\(remote)", "error": "\(error)"])
            await raw.close()
        }
    }

    /// Dialer: fetch the listener's address, dial, upgrade, ping twice, return the timings.
    public static func runDialer(config: InteropConfig, host: Host, logger: Logger) async throws -> InteropResult {
        let redis = try await connectRedis(config, logger: logger)
        let text: String?
        do {
            text = try await redis.blpop(key: config.redisKey, timeout: config.timeout)
            await redis.close()
        } catch {
            await redis.close()
            throw InteropFailure(.redis, "BLPOP \(config.redisKey): \(error)")
        }
        guard let text else {
            throw InteropFailure(.timeout, "no listener address appeared under '\(config.redisKey)' within \(config.timeout)")
        }
        let address: Multiaddr
        do {
            address = try Multiaddr(text)
        } catch {
            throw InteropFailure(.dial, "the listener published an unusable address '\(text)': \(error)")
        }
        guard host.transport.canDial(address) else {
            throw InteropFailure(.dial, "transport \(host.transport.name) cannot dial \(address)")
        }
        logger.info("dialing", metadata: ["address": "\(address)"])

        let clock = ContinuousClock()
        let start = clock.now
        let (upgraded, raw) = try await host.dial(address)
        let result = try await host.serve(upgraded, observed: raw.remoteAddress) { muxed in
            let stream: any MuxedStream
            do {
                stream = try await muxed.openStream()
            } catch {
                throw InteropFailure(.muxer, "cannot open a stream: \(error)")
            }
            do {
                // The first ping rides in the same write as the protocol proposal:
                // one round trip for negotiation and ping together.
                let first = PingProtocol.randomPayload()
                let (_, negotiated) = try await Multistream.selectOutbound(
                    stream, protocols: [PingProtocol.id], pipelining: ByteBuffer(bytes: first))
                var reader = ByteStreamReader(negotiated)
                try await PingProtocol.readEcho(of: first, from: &reader)
                let handshakePlusOneRTT = clock.now - start
                let rtt = try await PingProtocol.ping(over: &reader)
                try? await negotiated.closeWrite()
                await stream.close()
                return InteropResult(
                    handshakePlusOneRTTMillis: handshakePlusOneRTT.milliseconds, pingRTTMillis: rtt.milliseconds)
            } catch {
                await stream.reset()
                throw InteropFailure(.ping, "\(error)")
            }
        }
        await raw.close()
        guard let result else { throw InteropFailure(.ping, "the connection ended before the ping finished") }
        // Logged after the measurement, so that writing it costs the timings nothing.
        logger.info(
            "pinged",
            metadata: [
                "peer": "\(upgraded.remotePeer)", "security": "\(upgraded.securityID)", "muxer": "\(upgraded.muxerID)",
                "handshakePlusOneRTT": "\(InteropResult.format(result.handshakePlusOneRTTMillis)) ms",
            ])
        return result
    }

    static func connectRedis(_ config: InteropConfig, logger: Logger) async throws -> RedisClient {
        do {
            logger.debug("connecting to redis", metadata: ["address": "\(config.redisAddress)"])
            return try await RedisClient.connect(address: config.redisAddress, retryFor: redisRetryWindow(for: config.timeout))
        } catch {
            throw InteropFailure(.redis, "\(error)")
        }
    }
}
