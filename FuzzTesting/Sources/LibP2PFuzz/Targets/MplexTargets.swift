import LibP2PCore
import LibP2PMplex
import LibP2PRegistry
import NIOCore

/// mplex: the frame decoder alone, and a whole session fed a peer's bytes.
enum MplexTargets {
    static let all = [frames, session]

    static let frames = FuzzTarget(
        name: "mplex-frames",
        run: { bytes in
            var input = FuzzInput(bytes)
            var decoder = MplexFrameDecoder()
            do {
                for chunk in input.chunks() {
                    decoder.append(ByteBuffer(bytes: chunk))
                    while let frame = try decoder.next() {
                        _ = frame.encoded()
                    }
                }
                try decoder.finish()
            } catch {}
        },
        seeds: { [FuzzInput.whole(sampleFrames()), [3] + sampleFrames()] })

    /// Like yamux-session: bit 0 of the first byte is our role, bit 1 opens a stream.
    static let session = FuzzTarget(
        name: "mplex-session",
        run: { bytes in
            var input = FuzzInput(bytes)
            let control = input.byte()
            let stream = ScriptedStream(input.chunks())
            let muxer = MplexMuxer(configuration: MplexMuxer.Configuration(maxStreams: 64))
            let connection = muxer.makeSession(over: stream, role: control & 1 == 0 ? .responder : .initiator)
            Blocking.run("mplex session") { await SessionDriver.drive(connection, openStream: control & 2 != 0) }
        },
        seeds: { [[0] + FuzzInput.whole(sampleFrames()), [3, 4] + sampleFrames()] })

    /// New stream 0, messages both ways, close, reset.
    static func sampleFrames() -> [UInt8] {
        let frames = [
            MplexFrame(streamID: 0, flag: .newStream, payload: ByteBuffer(string: "0")),
            MplexFrame(streamID: 0, flag: MplexFlag(.message, fromOpener: true), payload: ByteBuffer(string: "hello")),
            MplexFrame(streamID: 1, flag: MplexFlag(.message, fromOpener: false), payload: ByteBuffer(string: "x")),
            MplexFrame(streamID: 0, flag: MplexFlag(.close, fromOpener: true)),
            MplexFrame(streamID: 2, flag: .newStream),
            MplexFrame(streamID: 2, flag: MplexFlag(.reset, fromOpener: true)),
        ]
        return frames.flatMap { Array($0.encoded().readableBytesView) }
    }
}
