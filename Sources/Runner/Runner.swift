// The interop runner.
