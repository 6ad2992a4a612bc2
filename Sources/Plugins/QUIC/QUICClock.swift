import NIOCore

/// ngtcp2's clock: monotonic nanoseconds, the same base as `NIODeadline`, so an
/// ngtcp2 expiry is directly a deadline for the event loop's timer.
enum QUICClock {
    static var now: UInt64 { NIODeadline.now().uptimeNanoseconds }
}
