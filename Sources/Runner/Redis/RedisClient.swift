import NIOPosix
import Synchronization

/// A minimal Redis client for the interop rendezvous: the listener `RPUSH`es its
/// address, the dialer `BLPOP`s it (the perf app: `SET`, and the dialer polls).
///
/// hiredis is blocking, so each client owns one worker thread (a one-thread
/// `NIOThreadPool`) that makes every hiredis call in turn, off Swift's cooperative
/// pool; callers await the result. Socket timeouts bound every call, so a dead
/// server fails a command instead of hanging it. Cancelling a command, or `close()`
/// while one runs, shuts the socket down: the blocked call returns at once and the
/// client is finished (a half-done exchange leaves a Redis connection unusable).
public final class RedisClient: Sendable {
    /// The server's `host:port`, as given.
    public let address: String
    private let connection: HiredisConnection
    private let worker: NIOThreadPool
    private let isClosed = Atomic<Bool>(false)

    /// Socket timeout for ordinary commands.
    static let commandTimeout: Duration = .seconds(10)
    /// How much longer than BLPOP's own timeout the socket waits for its reply.
    static let blockingMargin: Duration = .seconds(5)
    /// Pause between connection attempts.
    static let retryInterval: Duration = .milliseconds(100)
    /// Upper bound of one connection attempt.
    static let attemptTimeout: Duration = .seconds(2)

    private init(address: String, connection: HiredisConnection, worker: NIOThreadPool) {
        self.address = address
        self.connection = connection
        self.worker = worker
    }

    deinit {
        // Dropped without close(): release the thread (the context frees itself).
        if !isClosed.load(ordering: .relaxed) {
            connection.shutdownSocket()
            worker.shutdownGracefully { _ in }
        }
    }

    /// Connects to `address` (`host:port`, `[v6]:port` for IPv6 literals), retrying
    /// every 100 ms until `retryFor` has passed: compose starts Redis without waiting
    /// for it to be ready, and its host name may not resolve at first.
    public static func connect(address: String, retryFor window: Duration) async throws -> RedisClient {
        let (host, port) = try parse(address)
        let worker = NIOThreadPool(numberOfThreads: 1)
        worker.start()
        do {
            let connection = try await connectRetrying(
                host: host, port: port, address: address, window: window, on: worker)
            return RedisClient(address: address, connection: connection, worker: worker)
        } catch {
            try? await worker.shutdownGracefully()
            throw error
        }
    }

    private static func connectRetrying(
        host: String, port: Int, address: String, window: Duration, on worker: NIOThreadPool
    ) async throws -> HiredisConnection {
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start + window
        while true {
            let timeout = min(max(deadline - clock.now, retryInterval), attemptTimeout)
            let attempt = try await worker.runIfActive {
                Result { () throws(HiredisFailure) in try HiredisConnection.connect(host: host, port: port, timeout: timeout) }
            }
            switch attempt {
            case .success(let connection):
                return connection
            case .failure(let failure):
                guard clock.now + retryInterval < deadline else {
                    let (seconds, attoseconds) = (clock.now - start).components
                    throw RedisError.cannotConnect(
                        address: address, seconds: Double(seconds) + Double(attoseconds) / 1e18,
                        reason: failure.reason)
                }
                try await Task.sleep(for: retryInterval)
            }
        }
    }

    /// Appends `value` to the list `key`; returns the list's new length.
    @discardableResult
    public func rpush(key: String, value: String) async throws -> Int {
        let reply = try await run(["RPUSH", key, value], timeout: Self.commandTimeout)
        guard case .integer(let length) = reply else { throw unexpected("RPUSH", reply) }
        return Int(length)
    }

    /// Pops the first element of the list `key`, waiting up to `timeout` (whole
    /// seconds on the wire, rounded up, at least 1) for one to arrive; `nil` if none did.
    public func blpop(key: String, timeout: Duration) async throws -> String? {
        let seconds = Self.wholeSeconds(timeout)
        let reply = try await run(["BLPOP", key, String(seconds)], timeout: .seconds(seconds) + Self.blockingMargin)
        switch reply {
        case .null, .array([]):
            return nil
        case .array(let pair) where pair.count == 2:
            // [key, value]
            guard case .string(let value) = pair[1] else { throw unexpected("BLPOP", reply) }
            return String(decoding: value, as: UTF8.self)
        default:
            throw unexpected("BLPOP", reply)
        }
    }

    /// Sets the string `key` to `value` (unified-testing's perf listeners publish this way).
    public func set(key: String, value: String) async throws {
        let reply = try await run(["SET", key, value], timeout: Self.commandTimeout)
        guard case .status = reply else { throw unexpected("SET", reply) }
    }

    /// The string at `key`, or — when `key` holds a list (a transport-style
    /// listener RPUSHed it) — the list's first element without popping it; `nil`
    /// while there is nothing.
    public func peekValue(key: String) async throws -> String? {
        let type = try await run(["TYPE", key], timeout: Self.commandTimeout)
        let command: [String]
        switch type {
        case .status("string"): command = ["GET", key]
        case .status("list"): command = ["LINDEX", key, "0"]
        case .status("none"): return nil
        default: throw unexpected("TYPE", type)
        }
        switch try await run(command, timeout: Self.commandTimeout) {
        case .null: return nil
        case .string(let value): return String(decoding: value, as: UTF8.self)
        case let reply: throw unexpected(command[0], reply)
        }
    }

    /// Deletes `key`; returns whether it existed.
    @discardableResult
    public func del(key: String) async throws -> Bool {
        let reply = try await run(["DEL", key], timeout: Self.commandTimeout)
        guard case .integer(let count) = reply else { throw unexpected("DEL", reply) }
        return count > 0
    }

    /// Closes the connection and stops the worker thread; a command in progress
    /// fails at once with `RedisError.closed`. Idempotent.
    public func close() async {
        guard !isClosed.exchange(true, ordering: .relaxed) else { return }
        connection.shutdownSocket()
        _ = try? await worker.runIfActive { [connection] in connection.free() }
        try? await worker.shutdownGracefully()
    }

    /// Runs one command on the worker thread; error replies become `RedisError`s.
    private func run(_ arguments: [String], timeout: Duration) async throws -> RedisReply {
        guard !isClosed.load(ordering: .relaxed) else { throw RedisError.closed(address: address) }
        let outcome: Result<RedisReply, HiredisFailure>
        do {
            outcome = try await withTaskCancellationHandler {
                try await worker.runIfActive { [connection] in
                    Result { () throws(HiredisFailure) in try connection.command(arguments, timeout: timeout) }
                }
            } onCancel: {
                connection.shutdownSocket()
            }
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            // The worker is gone: the client was closed.
            throw RedisError.closed(address: address)
        }
        switch outcome {
        case .success(.error(let message)):
            throw RedisError.errorReply(address: address, message: message)
        case .success(let reply):
            return reply
        case .failure(let failure):
            if isClosed.load(ordering: .relaxed) { throw RedisError.closed(address: address) }
            if Task.isCancelled { throw CancellationError() }
            if failure.timedOut {
                throw RedisError.connectionLost(address: address, reason: "no reply to \(arguments[0]) within \(timeout)")
            }
            throw RedisError.connectionLost(address: address, reason: failure.reason)
        }
    }

    private func unexpected(_ command: String, _ reply: RedisReply) -> RedisError {
        .unexpectedReply(address: address, command: command, reply: "\(reply)")
    }

    /// BLPOP's timeout: whole seconds, rounded up, at least 1 (0 would block forever).
    static func wholeSeconds(_ timeout: Duration) -> Int64 {
        let (seconds, attoseconds) = timeout.components
        return max(1, seconds + (attoseconds > 0 ? 1 : 0))
    }

    /// Splits `host:port`; the host may be a bracketed IPv6 literal.
    static func parse(_ address: String) throws -> (host: String, port: Int) {
        guard let colon = address.lastIndex(of: ":"),
            let port = Int(address[address.index(after: colon)...]), (1...65535).contains(port)
        else { throw RedisError.invalidAddress(address) }
        var host = String(address[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw RedisError.invalidAddress(address) }
        return (host, port)
    }
}

extension HiredisFailure {
    /// A socket timeout (`SO_RCVTIMEO`) surfaces as EAGAIN.
    var timedOut: Bool {
        kind == .io && message.contains("Resource temporarily unavailable")
    }

    var reason: String {
        switch kind {
        case .eof: return "the server closed the connection"
        case .protocolError: return "protocol error: \(message)"
        case .io, .other: return message.prefix(1).lowercased() + message.dropFirst()
        }
    }
}
