import Logging

/// The Redis side of the contract: the listener RPUSHes its address, the dialer
/// BLPOPs it, both retrying the connection for a while (compose starts Redis with
/// no readiness wait).
enum RedisRendezvous {
    /// How long to keep retrying Redis: a Redis that never comes up must be
    /// reported as such, inside the test timeout, not as a bare timeout.
    static func retryWindow(for timeout: Duration) -> Duration {
        min(.seconds(30), max(.seconds(1), timeout - .seconds(2)))
    }

    static func connect(_ config: InteropConfig, logger: Logger) async throws -> RedisClient {
        do {
            logger.debug("connecting to redis", metadata: ["address": "\(config.redisAddress)"])
            return try await RedisClient.connect(address: config.redisAddress, retryFor: retryWindow(for: config.timeout))
        } catch {
            throw InteropFailure(.redis, "\(error)")
        }
    }

    /// Listener: publishes its dialable address.
    static func publish(_ address: String, config: InteropConfig, logger: Logger) async throws {
        let redis = try await connect(config, logger: logger)
        do {
            try await redis.rpush(key: config.redisKey, value: address)
            await redis.close()
        } catch {
            await redis.close()
            throw InteropFailure(.redis, "cannot publish the listen address: \(error)")
        }
    }

    /// Dialer: waits (up to the test timeout) for the listener's address.
    static func fetch(config: InteropConfig, logger: Logger) async throws -> String {
        let redis = try await connect(config, logger: logger)
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
        return text
    }
}
