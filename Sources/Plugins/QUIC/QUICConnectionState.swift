import LibP2PCore
import NIOCore

/// What a `QUICConnection` keeps under its lock: the engine, and the tasks waiting on
/// it, parked by condition. Waiters are woken with `nil` ("look again") and re-check
/// the engine themselves, so one wake-up path serves every condition.
///
/// The engine is not Sendable; it is only ever touched under this state's lock,
/// hence `@unchecked Sendable`.
struct QUICConnectionState: @unchecked Sendable {
    let engine: QUICEngine
    var readers: [Int64: WaiterQueue<QUICStreamRead?>] = [:]
    var writers: [Int64: WaiterQueue<Bool?>] = [:]
    var acceptors = WaiterQueue<Int64??>()
    var openers = WaiterQueue<Int64?>()
    var handshake = WaiterQueue<Bool?>()
    var ended = WaiterQueue<Bool?>()
    /// The pending timer and the deadline it was set for.
    var timer: Scheduled<Void>?
    var timerDeadline: UInt64 = .max
    /// Set once the end of the connection has been acted on (timer off, socket let go).
    var finished = false
    var establishedReported = false

    init(engine: QUICEngine) { self.engine = engine }

    /// Takes the engine's events and returns the wake-ups they call for.
    mutating func wakes() -> Resumptions {
        var wakes = Resumptions()
        let events = engine.events
        engine.events = .init()
        if engine.terminated != nil {
            for id in readers.keys { wakes.append(readers[id]!.wakeAll(returning: nil)) }
            for id in writers.keys { wakes.append(writers[id]!.wakeAll(returning: nil)) }
            wakes.append(acceptors.wakeAll(returning: nil))
            wakes.append(openers.wakeAll(returning: nil))
            wakes.append(handshake.wakeAll(returning: nil))
            wakes.append(ended.wakeAll(returning: nil))
            return wakes
        }
        for id in events.readable where readers[id] != nil {
            wakes.append(readers[id]!.wakeAll(returning: nil))
            if engine.streams[id] == nil { readers[id] = nil }  // the stream is gone for good
        }
        for id in events.writable where writers[id] != nil {
            wakes.append(writers[id]!.wakeAll(returning: nil))
            if engine.streams[id] == nil { writers[id] = nil }
        }
        if events.incoming { wakes.append(acceptors.wakeAll(returning: nil)) }
        if events.streamsOpenable { wakes.append(openers.wakeAll(returning: nil)) }
        if events.handshakeDone { wakes.append(handshake.wakeAll(returning: nil)) }
        return wakes
    }
}

/// What one `read()` of a QUIC stream got.
enum QUICStreamRead: Sendable {
    /// Bytes, and whether the read must push the window update out now.
    case data(ByteBuffer, flush: Bool)
    case end
}
