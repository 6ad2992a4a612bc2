import LibP2PCore
import LibP2PHost
import Logging

/// The dialer of one interop test: take the listener's address from Redis, dial,
/// ping twice, return the timings.
enum DialerRole {
    static func run(config: InteropConfig, host: Host, logger: Logger) async throws -> InteropResult {
        let address = try publishedAddress(try await RedisRendezvous.fetch(config: config, logger: logger))
        logger.info("dialing", metadata: ["address": "\(address)"])

        let clock = ContinuousClock()
        let start = clock.now
        return try await failingAs(.ping) {
            // Identify waits until both figures are taken: it must not cost them.
            return try await host.withConnection(to: address, identify: .manual) { connection in
                // The first ping rides with the ping protocol's proposal: one round
                // trip for negotiation and ping together.
                var pinger = try await Pinger.start(on: connection)
                let handshakePlusOneRTT = clock.now - start
                let rtt = try await pinger.ping()
                await pinger.close()
                let result = InteropResult(
                    handshakePlusOneRTTMillis: handshakePlusOneRTT.milliseconds, pingRTTMillis: rtt.milliseconds)
                await connection.identify()
                // Logged after the measurement, so that writing it costs the timings nothing.
                logger.info(
                    "pinged",
                    metadata: [
                        "peer": "\(connection.remotePeer)", "security": "\(connection.securityID ?? "(transport)")",
                        "muxer": "\(connection.muxerID ?? "(transport)")", "pingStreams": "\(pinger.streamsOpened)",
                        "handshakePlusOneRTT": "\(InteropResult.format(result.handshakePlusOneRTTMillis)) ms",
                    ])
                return result
            }
        }
    }

    /// What the listener published, as a multiaddr; anything else is a dial failure.
    static func publishedAddress(_ text: String) throws -> Multiaddr {
        do {
            return try Multiaddr(text)
        } catch {
            throw InteropFailure(.dial, "the listener published an unusable address '\(text)': \(error)")
        }
    }

    /// Runs a dialer's work on its connection: host errors keep their own phase,
    /// cancellation stays cancellation, anything else fails as `phase`.
    static func failingAs<Result>(_ phase: InteropFailure.Phase, _ body: () async throws -> Result) async throws -> Result {
        do {
            return try await body()
        } catch let error as HostError {
            throw InteropFailure(error)
        } catch let error as InteropFailure {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw InteropFailure(phase, "\(error)")
        }
    }
}
