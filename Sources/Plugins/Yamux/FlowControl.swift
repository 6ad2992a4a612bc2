/// Yamux flow control for one stream, receive side: how many data bytes the peer may
/// still send us (its credit), and how much the application has consumed that we have
/// not handed back as a window update yet. Pure value type.
///
/// Invariant: bytes buffered for the application ≤ `window` − `credit`, so a peer that
/// respects the window can never make us buffer more than `window` bytes.
struct ReceiveWindow: Equatable, Sendable {
    /// Every yamux stream starts with this window on both sides (the spec's 256 KiB).
    static let initial = 256 * 1024

    /// The window we want the peer to have: `initial`, or larger if configured.
    let window: Int
    /// Data bytes the peer may still send before it must wait for a window update.
    private(set) var credit: Int = ReceiveWindow.initial
    /// Consumed bytes not yet returned to the peer.
    private(set) var uncredited = 0
    private var extended = false

    init(window: Int) {
        precondition(window >= ReceiveWindow.initial, "a yamux window is at least 256 KiB")
        self.window = window
    }

    /// The delta that raises the peer's view from the initial 256 KiB to `window`;
    /// sent once, with the SYN or the ACK. Zero when the window is the default.
    mutating func takeInitialExtension() -> UInt32 {
        let extra = window - ReceiveWindow.initial
        guard extra > 0, !extended else { return 0 }
        extended = true
        credit += extra
        return UInt32(extra)
    }

    /// The peer sent `count` data bytes; false when that exceeds its credit (a protocol violation).
    mutating func receive(_ count: Int) -> Bool {
        guard count <= credit else { return false }
        credit -= count
        return true
    }

    /// The application consumed `count` bytes. Returns the window update to send once
    /// at least half the window the peer knows of is owed, so updates stay rare but
    /// the peer never stalls. The update also carries the extension to `window` if
    /// no SYN or ACK has announced it yet (the peer may still think 256 KiB).
    mutating func consume(_ count: Int) -> UInt32? {
        uncredited += count
        let announced = extended ? window : ReceiveWindow.initial
        guard uncredited >= announced / 2 else { return nil }
        let delta = uncredited + Int(takeInitialExtension())
        credit += uncredited
        uncredited = 0
        return UInt32(delta)
    }
}

/// Send side: how many data bytes the peer lets us send right now.
struct SendWindow: Equatable, Sendable {
    private(set) var available: Int = ReceiveWindow.initial

    /// A window update arrived. The spec caps nothing; cap at `UInt32.max` worth of
    /// outstanding credit so a hostile peer cannot overflow the counter.
    mutating func grant(_ delta: UInt32) {
        available = min(available + Int(delta), Int(UInt32.max))
    }

    /// Takes up to `wanted` bytes of credit; 0 means wait for a window update.
    mutating func reserve(upTo wanted: Int) -> Int {
        let granted = min(wanted, available)
        available -= granted
        return granted
    }
}
