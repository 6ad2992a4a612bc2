import LibP2PCore
import LibP2PRegistry
import NIOCore
import Testing

@testable import LibP2PYamux
import LibP2PConformance

@Suite("yamux flow control and stream state (pure)")
struct FlowControlTests {
    typealias Header = YamuxFrameHeader

    @Test("the peer may send exactly the window, not one byte more")
    func receiveCredit() {
        var window = ReceiveWindow(window: 256 * 1024)
        let whole = window.receive(256 * 1024)
        let oneMore = window.receive(1)
        #expect(whole)
        #expect(!oneMore)
        #expect(window.credit == 0)
    }

    @Test("a window update is due once half the window has been consumed, and restores credit")
    func updateThreshold() {
        var window = ReceiveWindow(window: 256 * 1024)
        let received = window.receive(200 * 1024)
        let early = window.consume(100 * 1024)
        let due = window.consume(28 * 1024)
        #expect(received)
        #expect(early == nil)
        #expect(due == UInt32(128 * 1024))
        #expect(window.credit == 56 * 1024 + 128 * 1024)
        #expect(window.uncredited == 0)
    }

    @Test("a larger window is announced once, as an extension of the initial 256 KiB")
    func windowExtension() {
        var window = ReceiveWindow(window: 1024 * 1024)
        let first = window.takeInitialExtension()
        let second = window.takeInitialExtension()
        #expect(first == UInt32(768 * 1024))
        #expect(second == 0)
        #expect(window.credit == 1024 * 1024)
        var standard = ReceiveWindow(window: 256 * 1024)
        let none = standard.takeInitialExtension()
        #expect(none == 0)
    }

    @Test("an unannounced larger window rides on the first window update")
    func extensionWithUpdate() {
        var window = ReceiveWindow(window: 1024 * 1024)
        let received = window.receive(256 * 1024)
        // The peer only knows 256 KiB: an update is due at 128 KiB, not at 512 KiB.
        let early = window.consume(100 * 1024)
        let due = window.consume(28 * 1024)
        let extensionLater = window.takeInitialExtension()
        #expect(received)
        #expect(early == nil)
        #expect(due == UInt32(128 * 1024 + 768 * 1024))
        #expect(extensionLater == 0)
        #expect(window.credit == 128 * 1024 + 768 * 1024)
    }

    @Test("the send window is consumed by reservations and refilled by updates")
    func sendWindow() {
        var window = SendWindow()
        let reservations = [window.reserve(upTo: 200 * 1024), window.reserve(upTo: 100 * 1024), window.reserve(upTo: 1)]
        #expect(reservations == [200 * 1024, 56 * 1024, 0])
        window.grant(10)
        let granted = window.reserve(upTo: 100)
        #expect(granted == 10)
        window.grant(.max)
        window.grant(.max)
        #expect(window.available == Int(UInt32.max))
    }

    private func data(_ bytes: [UInt8], flags: Header.Flags = []) -> YamuxFrame {
        YamuxFrame(header: Header(type: .data, flags: flags, streamID: 1, length: UInt32(bytes.count)), payload: ByteBuffer(bytes: bytes))
    }

    @Test("an outbound stream learns of its ACK from any frame type")
    func acknowledgement() {
        var state = YamuxStreamState(outbound: true, receiveWindow: 256 * 1024)
        #expect(state.acknowledgement == .awaitingAck)
        let effect = state.receive(YamuxFrame(header: Header(type: .windowUpdate, flags: .ack, streamID: 1, length: 0)), streamID: 1)
        #expect(effect.acknowledged)
        #expect(state.acknowledgement == .acknowledged)
        let duty = state.takeAcknowledgement()
        #expect(!duty.ack)

        var inbound = YamuxStreamState(outbound: false, receiveWindow: 512 * 1024)
        let first = inbound.takeAcknowledgement()
        let second = inbound.takeAcknowledgement()
        #expect(first.ack && first.windowExtension == UInt32(256 * 1024))
        #expect(!second.ack && second.windowExtension == 0)
    }

    @Test("FIN: buffered data is read first, then end of stream; our writes go on")
    func remoteFIN() throws {
        var state = YamuxStreamState(outbound: true, receiveWindow: 256 * 1024)
        _ = state.receive(data([1, 2, 3], flags: .fin), streamID: 1)
        guard case .data(let bytes, nil) = state.read() else { Issue.record("expected data"); return }
        #expect(bytes.bytes == [1, 2, 3])
        guard case .endOfStream = state.read() else { Issue.record("expected end of stream"); return }
        let step = state.reserveSend(upTo: 10)
        #expect(step == .send(10))
        #expect(!state.isFinished)
        let mustSendFIN = try state.closeWrite()
        #expect(mustSendFIN)
        #expect(state.isFinished)
    }

    @Test("after our FIN, writes fail but reads go on")
    func localFIN() throws {
        var state = YamuxStreamState(outbound: true, receiveWindow: 256 * 1024)
        let first = try state.closeWrite()
        let second = try state.closeWrite()
        #expect(first && !second)
        let step = state.reserveSend(upTo: 1)
        #expect(step == .fail(.closed))
        _ = state.receive(data([9]), streamID: 1)
        guard case .data(let bytes, _) = state.read() else { Issue.record("expected data"); return }
        #expect(bytes.bytes == [9])
    }

    @Test("RST fails reads and writes and drops buffered data")
    func remoteRST() {
        var state = YamuxStreamState(outbound: false, receiveWindow: 256 * 1024)
        _ = state.receive(data([1, 2]), streamID: 1)
        let effect = state.receive(YamuxFrame(header: Header(type: .windowUpdate, flags: .rst, streamID: 1, length: 0)), streamID: 1)
        #expect(effect.wakeReader && effect.wakeWriters)
        guard case .fail(let error) = state.read() else { Issue.record("expected failure"); return }
        #expect(error as? StreamError == .reset)
        let step = state.reserveSend(upTo: 1)
        #expect(step == .fail(.reset))
        #expect(state.isFinished)
        let mustSendRST = state.resetLocally()
        #expect(!mustSendRST)
    }

    @Test("data beyond the window is a violation")
    func overrun() {
        var state = YamuxStreamState(outbound: true, receiveWindow: 256 * 1024)
        let whole = state.receive(data(Array(repeating: 0, count: 256 * 1024)), streamID: 1)
        #expect(whole.violation == nil)
        let effect = state.receive(data([0]), streamID: 7)
        #expect(effect.violation?.contains("stream 7") == true)
    }

    @Test("data after a local close() resets the stream")
    func dataAfterClose() {
        var state = YamuxStreamState(outbound: true, receiveWindow: 256 * 1024)
        let mustSendFIN = state.close()
        #expect(mustSendFIN)
        guard case .endOfStream = state.read() else { Issue.record("expected end of stream"); return }
        let effect = state.receive(data([1]), streamID: 1)
        #expect(effect.mustReset)
        #expect(state.isFinished)
    }

    @Test("the session's end fails pending operations but keeps buffered data readable")
    func sessionEnd() {
        var state = YamuxStreamState(outbound: true, receiveWindow: 256 * 1024)
        _ = state.receive(data([5]), streamID: 1)
        state.sessionEnded(.connectionClosed)
        guard case .data = state.read() else { Issue.record("expected data"); return }
        guard case .fail(let error) = state.read() else { Issue.record("expected failure"); return }
        #expect(error as? MuxerError == .connectionClosed)
        let step = state.reserveSend(upTo: 1)
        #expect(step == .sessionEnded(.connectionClosed))
    }
}
