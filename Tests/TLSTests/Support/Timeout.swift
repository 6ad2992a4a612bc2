import Testing

/// The outcome of `body` as a value, so both sides of a handshake can be inspected.
func outcome<T>(_ body: () async throws -> T) async -> Result<T, any Error> {
    do {
        return .success(try await body())
    } catch {
        return .failure(error)
    }
}
