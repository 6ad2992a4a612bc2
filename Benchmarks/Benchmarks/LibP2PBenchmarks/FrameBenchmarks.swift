import Benchmark
import LibP2PMplex
import LibP2PYamux
import NIOCore

/// Encoding 64 data frames of 64 KiB and decoding them again from 256 KiB chunks
/// (one socket read's worth), as a bulk transfer cuts them: the decoders' copies
/// show in the allocation count.
func frameBenchmarks() {
    let payload = ByteBuffer(repeating: 0x5A, count: 65_507)
    let frameCount = 64

    Benchmark("yamux frames: encode, decode from 256 KiB chunks") { benchmark in
        for _ in benchmark.scaledIterations {
            var wire = ByteBuffer()
            for id in 0..<frameCount {
                let frame = YamuxFrame(
                    header: YamuxFrameHeader(type: .data, streamID: UInt32(id * 2 + 1), length: UInt32(payload.readableBytes)),
                    payload: payload)
                wire.writeImmutableBuffer(frame.encoded)
            }
            var decoder = YamuxFrameDecoder(maxDataLength: 256 * 1024)
            var decoded = 0
            while let chunk = wire.readSlice(length: min(256 * 1024, wire.readableBytes)) {
                decoder.append(chunk)
                while let frame = try decoder.next() { decoded += frame.payload.readableBytes }
                if wire.readableBytes == 0 { break }
            }
            precondition(decoded == frameCount * payload.readableBytes)
            blackHole(decoded)
        }
    }

    Benchmark("mplex frames: encode, decode from 256 KiB chunks") { benchmark in
        for _ in benchmark.scaledIterations {
            var wire = ByteBuffer()
            for id in 0..<frameCount {
                wire.writeImmutableBuffer(MplexFrame(streamID: UInt64(id), flag: .messageInitiator, payload: payload).encoded())
            }
            var decoder = MplexFrameDecoder()
            var decoded = 0
            while let chunk = wire.readSlice(length: min(256 * 1024, wire.readableBytes)) {
                decoder.append(chunk)
                while let frame = try decoder.next() { decoded += frame.payload.readableBytes }
                if wire.readableBytes == 0 { break }
            }
            precondition(decoded == frameCount * payload.readableBytes)
            blackHole(decoded)
        }
    }
}
