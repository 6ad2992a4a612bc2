import Logging

/// The perf app's Redis side: unified-testing's perf listeners `SET`
/// `<TEST_KEY>_listener_multiaddr` and dialers poll `GET` (unlike the transport
/// test's RPUSH/BLPOP). Our listener SETs; our dialer takes either form.
enum PerfRendezvous {
    static let pollInterval = Duration.milliseconds(100)

    /// Listener: publishes its dialable address.
    static func publish(_ address: String, config: InteropConfig, logger: Logger) async throws {
        let redis = try await RedisRendezvous.connect(config, logger: logger)
        do {
            try await redis.set(key: config.redisKey, value: address)
            await redis.close()
        } catch {
            await redis.close()
            throw InteropFailure(.redis, "cannot publish the listen address: \(error)")
        }
    }

    /// Dialer: polls until the address appears (a string or a list's head), up
    /// to the test timeout.
    static func fetch(config: InteropConfig, logger: Logger) async throws -> String {
        let redis = try await RedisRendezvous.connect(config, logger: logger)
        let clock = ContinuousClock()
        let deadline = clock.now + config.timeout
        do {
            while clock.now < deadline {
                if let value = try await redis.peekValue(key: config.redisKey) {
                    await redis.close()
                    return value
                }
                try await Task.sleep(for: pollInterval)
            }
            await redis.close()
        } catch is CancellationError {
            await redis.close()
            throw CancellationError()
        } catch {
            await redis.close()
            throw InteropFailure(.redis, "reading \(config.redisKey): \(error)")
        }
        throw InteropFailure(.timeout, "no listener address appeared under '\(config.redisKey)' within \(config.timeout)")
    }
}
