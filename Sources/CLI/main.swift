import InteropRunner
print("libp2p-interop")
