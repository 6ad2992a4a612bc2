import DequeModule

/// A bounded FIFO between producers and consumers, with backpressure: `push`
/// suspends while the buffer is at capacity, `offer` never suspends and says when
/// it did not take the element (a muxer resets a stream whose reader lags), and
/// `next` suspends until an element or the end arrives.
///
/// Capacity is in weight units (`weight` of each element: 1 by default, the byte
/// count for buffers). A push is taken while the buffer is below capacity, so it
/// may end up over it by at most one element per producer.
public final class AsyncBoundedBuffer<Element: Sendable>: Sendable {
    /// What `offer(_:)` did with an element.
    public enum Offer: Sendable, Equatable {
        case accepted
        /// At capacity: the element was not taken.
        case full
        /// Finished or failed: the element was not taken.
        case closed
    }

    private struct State: Sendable {
        var elements = Deque<Element>()
        var weight = 0
        var finished = false
        var failure: (any Error)?
        var consumers = WaiterQueue<Element?>()
        var producers = WaiterQueue<Void>()
    }

    public let capacity: Int
    private let weigh: @Sendable (Element) -> Int
    private let state = LockedState(State())

    public init(capacity: Int, weight: @escaping @Sendable (Element) -> Int = { _ in 1 }) {
        precondition(capacity > 0, "an AsyncBoundedBuffer needs a positive capacity")
        self.capacity = capacity
        self.weigh = weight
    }

    /// The weight of the elements waiting to be taken.
    public var bufferedWeight: Int { state.withLock { $0.weight } }
    public var count: Int { state.withLock { $0.elements.count } }

    /// Adds `element`, then suspends while the buffer is at capacity. Throws the
    /// failure, `AsyncBufferError.finished` after `finish()`, or `CancellationError`
    /// (the element stays queued: it was accepted before the wait).
    public func push(_ element: Element) async throws {
        let appended = try state.withLock { s -> Appended in
            if let failure = s.failure { throw failure }
            if s.finished { throw AsyncBufferError.finished }
            return append(element, to: &s)
        }
        appended.consumer?.resume()
        guard appended.atCapacity else { return }
        try await state.wait(in: { s, use in use(&s.producers) }) { s, _ in
            if let failure = s.failure { throw failure }
            return s.weight < capacity ? .ready(()) : .park
        }
    }

    /// Adds `element` if the buffer is open and below capacity; never suspends.
    public func offer(_ element: Element) -> Offer {
        let (offer, consumer) = state.withLock { s -> (Offer, Resumption<Element?>?) in
            if s.failure != nil || s.finished { return (.closed, nil) }
            if s.weight >= capacity { return (.full, nil) }
            return (.accepted, append(element, to: &s).consumer)
        }
        consumer?.resume()
        return offer
    }

    /// The oldest element; nil once the buffer is finished and drained. Throws the
    /// failure set by `fail(_:)`, or `CancellationError`.
    public func next() async throws -> Element? {
        try await state.wait(in: { s, use in use(&s.consumers) }) { s, wakes in
            if let failure = s.failure { throw failure }
            if let element = take(from: &s, waking: &wakes) { return .ready(element) }
            return s.finished ? .ready(nil) : .park
        }
    }

    /// The oldest element if one is waiting; never suspends.
    public func poll() -> Element? {
        var wakes = Resumptions()
        let element = state.withLock { s in s.failure == nil ? take(from: &s, waking: &wakes) : nil }
        wakes.resume()
        return element
    }

    /// Drops the queued elements that match `shouldRemove` (a stream reset before it
    /// was accepted), making room for producers; never suspends. Returns how many.
    @discardableResult
    public func removeAll(where shouldRemove: (Element) -> Bool) -> Int {
        var removed = 0
        state.withLockThenResume { s in
            let wasFull = s.weight >= capacity
            var removedWeight = 0
            s.elements.removeAll { element in
                guard shouldRemove(element) else { return false }
                removedWeight += weigh(element)
                removed += 1
                return true
            }
            s.weight -= removedWeight
            return wasFull && s.weight < capacity ? s.producers.wakeAll(returning: ()) : Resumptions()
        }
        return removed
    }

    /// No more elements: consumers drain what is queued, then get nil; later pushes
    /// fail. Producers already waiting for room stay waiting (their elements may
    /// still be taken). Idempotent.
    public func finish() {
        state.withLockThenResume { s in
            guard s.failure == nil else { return Resumptions() }
            s.finished = true
            return s.elements.isEmpty ? s.consumers.wakeAll(returning: nil) : Resumptions()
        }
    }

    /// Drops what is queued and fails every waiting and later call with `error`.
    /// The first failure wins.
    public func fail(_ error: any Error) {
        state.withLockThenResume { s in
            if s.failure == nil { s.failure = error }
            s.elements.removeAll()
            s.weight = 0
            var wakes = s.consumers.wakeAll(throwing: s.failure!)
            wakes.append(s.producers.wakeAll(throwing: s.failure!))
            return wakes
        }
    }

    private struct Appended {
        var atCapacity = false
        /// A consumer that was waiting (so the queue was empty) and takes the element
        /// directly, to be resumed after the lock.
        var consumer: Resumption<Element?>?
    }

    /// Queues `element`, or hands it to a waiting consumer. Called under the lock.
    private func append(_ element: Element, to s: inout State) -> Appended {
        if let consumer = s.consumers.wakeFirst(returning: element) {
            return Appended(consumer: consumer)
        }
        s.elements.append(element)
        s.weight += weigh(element)
        return Appended(atCapacity: s.weight >= capacity)
    }

    private func take(from s: inout State, waking wakes: inout Resumptions) -> Element? {
        guard let element = s.elements.popFirst() else { return nil }
        let wasFull = s.weight >= capacity
        s.weight -= weigh(element)
        if wasFull, s.weight < capacity { wakes.append(s.producers.wakeAll(returning: ())) }
        return element
    }
}

public enum AsyncBufferError: Error, Equatable, CustomStringConvertible {
    case finished

    public var description: String { "the buffer is finished: it takes no more elements" }
}
