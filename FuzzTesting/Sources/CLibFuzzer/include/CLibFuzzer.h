#include <stddef.h>
#include <stdint.h>

// libFuzzer's driver (compiler-rt FuzzerInterface.h), for an executable whose own
// `main` starts the fuzzer: SwiftPM links executables with their entry point
// renamed, so libFuzzer's `main` is never the one that runs.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
