#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
internal import CHiredis
import LibP2PCore

/// A Redis reply, copied out of hiredis's `redisReply` (which is freed at once).
enum RedisReply: Sendable, Equatable {
    case string([UInt8])
    case status(String)
    case integer(Int64)
    case array([RedisReply])
    case null
    case error(String)
}

/// Why a hiredis call failed: its error code class and `errstr`.
struct HiredisFailure: Error {
    enum Kind { case io, eof, protocolError, other }
    let kind: Kind
    let message: String
}

/// The only Swift code that touches hiredis: one blocking `redisContext`. Every
/// call blocks its thread, so `RedisClient` makes them all from its own worker
/// thread, one at a time.
///
/// The context pointer lives in the kit's `LockedState` (held for the whole of a
/// blocking command, which only the worker thread ever waits on), and the socket
/// descriptor in a second one, so that another thread can shut the socket down to
/// wake a blocked command, and never after `redisFree` has closed it (the number
/// could by then belong to another socket). `LockedState` rather than
/// `Synchronization.Mutex`, which ThreadSanitizer on Linux cannot see.
final class HiredisConnection: Sendable {
    private let context: LockedState<ContextPointer?>
    private let socket: LockedState<Int32?>

    /// The hiredis context, only ever touched under `context`'s lock: that lock is
    /// what makes handing it between threads safe, which the compiler cannot see.
    private struct ContextPointer: @unchecked Sendable {
        let pointer: UnsafeMutablePointer<redisContext>
    }

    private init(_ context: UnsafeMutablePointer<redisContext>) {
        self.socket = LockedState(context.pointee.fd)
        self.context = LockedState(ContextPointer(pointer: context))
    }

    deinit {
        free()
    }

    /// Connects (blocking, bounded by `timeout`); throws the hiredis error.
    static func connect(host: String, port: Int, timeout: Duration) throws(HiredisFailure) -> HiredisConnection {
        guard let context = redisConnectWithTimeout(host, Int32(port), timeval(timeout)) else {
            throw HiredisFailure(kind: .other, message: "out of memory")
        }
        if context.pointee.err != 0 {
            let failure = Self.failure(of: context)
            redisFree(context)
            throw failure
        }
        return HiredisConnection(context)
    }

    /// Runs one command (blocking). The socket's read and write timeouts are set to
    /// `timeout` first, so a dead server cannot block the thread for longer. Once a
    /// command failed the context is unusable (hiredis's rule): later ones fail too.
    func command(_ arguments: [String], timeout: Duration) throws(HiredisFailure) -> RedisReply {
        let result: Result<RedisReply, HiredisFailure> = context.withLock { held in
            guard let context = held?.pointer else { return .failure(HiredisFailure(kind: .eof, message: "connection closed")) }
            if context.pointee.err != 0 { return .failure(Self.failure(of: context)) }
            guard redisSetTimeout(context, timeval(timeout)) == REDIS_OK else {
                return .failure(Self.failure(of: context))
            }
            guard let raw = Self.send(arguments, on: context) else {
                return .failure(Self.failure(of: context))
            }
            let reply = raw.assumingMemoryBound(to: redisReply.self)
            defer { freeReplyObject(raw) }
            return .success(Self.convert(reply.pointee))
        }
        return try result.get()
    }

    /// Wakes a command blocked on the socket (it then fails); callable from any thread.
    func shutdownSocket() {
        socket.withLock { fd in
            if let fd { _ = shutdown(fd, Int32(SHUT_RDWR)) }
        }
    }

    /// Frees the context (closing its socket). Idempotent; waits for a running command.
    func free() {
        context.withLock { held in
            socket.withLock { fd in
                fd = nil
                if let context = held?.pointer { redisFree(context) }
            }
            held = nil
        }
    }

    private static func send(_ arguments: [String], on context: UnsafeMutablePointer<redisContext>) -> UnsafeMutableRawPointer? {
        // Binary-safe: every argument goes with its length, none needs a NUL.
        let buffers = arguments.map { argument -> UnsafeMutableBufferPointer<CChar> in
            let bytes = Array(argument.utf8)
            let buffer = UnsafeMutableBufferPointer<CChar>.allocate(capacity: max(bytes.count, 1))
            bytes.withUnsafeBytes { source in
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: source)
            }
            return buffer
        }
        defer { buffers.forEach { $0.deallocate() } }
        var pointers = buffers.map { UnsafePointer<CChar>?(UnsafePointer($0.baseAddress!)) }
        var lengths = arguments.map { $0.utf8.count }
        return redisCommandArgv(context, Int32(arguments.count), &pointers, &lengths)
    }

    private static func convert(_ reply: redisReply) -> RedisReply {
        func text() -> [UInt8] {
            guard let str = reply.str else { return [] }
            return UnsafeRawBufferPointer(start: str, count: reply.len).map { $0 }
        }
        switch reply.type {
        case REDIS_REPLY_STRING: return .string(text())
        case REDIS_REPLY_STATUS: return .status(String(decoding: text(), as: UTF8.self))
        case REDIS_REPLY_ERROR: return .error(String(decoding: text(), as: UTF8.self))
        case REDIS_REPLY_INTEGER: return .integer(Int64(reply.integer))
        case REDIS_REPLY_ARRAY:
            return .array((0..<reply.elements).map { i in
                reply.element[i].map { convert($0.pointee) } ?? .null
            })
        default: return .null
        }
    }

    private static func failure(of context: UnsafeMutablePointer<redisContext>) -> HiredisFailure {
        let message = withUnsafeBytes(of: context.pointee.errstr) { bytes in
            String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
        let kind: HiredisFailure.Kind
        switch context.pointee.err {
        case REDIS_ERR_IO: kind = .io
        case REDIS_ERR_EOF: kind = .eof
        case REDIS_ERR_PROTOCOL: kind = .protocolError
        default: kind = .other
        }
        return HiredisFailure(kind: kind, message: message.isEmpty ? "unknown error" : message)
    }
}

private func timeval(_ duration: Duration) -> timeval {
    let (seconds, attoseconds) = duration.components
    var value = timeval()
    value.tv_sec = .init(seconds)
    value.tv_usec = .init(attoseconds / 1_000_000_000_000)
    return value
}
