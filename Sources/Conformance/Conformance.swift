// Conformance kit.
