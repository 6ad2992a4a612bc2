import ArgumentParser
import InteropRunner

await LibP2PInterop.main()
