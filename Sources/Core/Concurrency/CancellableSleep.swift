import Dispatch

/// Sleeps for `limit`, throwing `CancellationError` if the task is cancelled first.
///
/// Unlike `Task.sleep`, a cancelled sleep takes its timer down at once. The Swift
/// runtime's `Task.sleep` answers cancellation by resuming the sleeper, but the timer
/// job it queued stays queued (with its allocations) until the deadline passes; a
/// deadline that nearly always loses the race (`withDeadline` around a handshake, an
/// idle watchdog) thus kept ~700 bytes per call alive for its whole limit: at ~600
/// connections/s, each with a few 5–10 s bounds, that was the soak's 15 MB of
/// listener RSS growth. Here the timer is a Dispatch timer source, cancelled as soon
/// as the sleep ends either way; Dispatch releases it on its own thread moments later.
public func cancellableSleep(for limit: Duration) async throws {
    let timer = LockedState(SleepTimerState())
    let source = DispatchSource.makeTimerSource(queue: .global())
    source.setEventHandler {
        timer.withLockThenResume { state in
            state.fired = true
            return state.sleeper.wakeAll(returning: ())
        }
    }
    source.schedule(deadline: .after(limit))
    source.activate()
    defer { source.cancel() }
    try await timer.wait(in: { state, use in use(&state.sleeper) }) { state, _ in
        state.fired ? .ready(()) : .park
    }
}

struct SleepTimerState: Sendable {
    var fired = false
    var sleeper = WaiterQueue<Void>()
}

extension DispatchTime {
    /// Now plus `limit`: at once for a limit ≤ 0, `distantFuture` where the sum
    /// would not fit (a `Duration` reaches far beyond what nanoseconds of uptime can).
    static func after(_ limit: Duration) -> DispatchTime {
        let (seconds, attoseconds) = limit.components
        guard seconds >= 0, seconds > 0 || attoseconds > 0 else { return .now() }
        let (wholeNanos, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        let nanos = UInt64(clamping: wholeNanos).addingReportingOverflow(UInt64(attoseconds / 1_000_000_000))
        let deadline = DispatchTime.now().uptimeNanoseconds.addingReportingOverflow(nanos.partialValue)
        guard !overflow, !nanos.overflow, !deadline.overflow, deadline.partialValue < DispatchTime.distantFuture.uptimeNanoseconds
        else { return .distantFuture }
        return DispatchTime(uptimeNanoseconds: deadline.partialValue)
    }
}
