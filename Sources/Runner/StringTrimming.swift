extension StringProtocol {
    /// Without leading and trailing white space (Foundation's `trimmingCharacters`
    /// is not in FoundationEssentials, which is all the binary links).
    package func trimmingWhitespace() -> SubSequence {
        let start = firstIndex { !$0.isWhitespace } ?? endIndex
        let end = lastIndex { !$0.isWhitespace }.map { index(after: $0) } ?? start
        return self[start..<end]
    }
}
