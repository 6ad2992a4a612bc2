import CLibFuzzer
import Foundation

/// libFuzzer's entry points. One binary holds every target; `LIBP2P_FUZZ_TARGET`
/// picks the one this process fuzzes, so the whole set costs one build and one link.
/// With `LIBP2P_FUZZ_WRITE_SEEDS=DIR` it writes that target's seed corpus to DIR
/// and exits instead of fuzzing.
nonisolated(unsafe) private var selected: FuzzTarget?

/// SwiftPM links an executable with `main` pointing at `libp2p_fuzz_main`, so this
/// is what runs first; it hands over to libFuzzer's driver.
@_cdecl("libp2p_fuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var argc = argc
    var argv = argv
    return LLVMFuzzerRunDriver(&argc, &argv, fuzzerTestOneInput)
}

@_cdecl("LLVMFuzzerInitialize")
public func fuzzerInitialize(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>
) -> CInt {
    let environment = ProcessInfo.processInfo.environment
    guard let name = environment["LIBP2P_FUZZ_TARGET"], let target = FuzzTarget.all.first(where: { $0.name == name }) else {
        let names = FuzzTarget.all.map(\.name).joined(separator: " ")
        FileHandle.standardError.write(Data("set LIBP2P_FUZZ_TARGET to one of: \(names)\n".utf8))
        exit(2)
    }
    if let directory = environment["LIBP2P_FUZZ_WRITE_SEEDS"] {
        writeSeeds(of: target, to: directory)
        exit(0)
    }
    selected = target
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size))
    selected!.run(bytes)
    return 0
}

private func writeSeeds(of target: FuzzTarget, to directory: String) {
    let url = URL(fileURLWithPath: directory)
    try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    for (index, seed) in target.seeds().enumerated() {
        try! Data(seed).write(to: url.appendingPathComponent(String(format: "seed-%02d", index)))
    }
}
