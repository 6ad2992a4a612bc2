#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The process's limit on open descriptors. A listener serving its full budget
/// (`ConnectionLimits`: up to 256 connections upgrading and 1,024 established)
/// needs more than the common soft limit of 1,024, so the binary raises the soft
/// limit to the hard one at start, as Go's runtime does for every Go program.
public enum OpenFileLimit {
    /// Raises the soft limit to the hard limit; returns the soft limit now in force.
    @discardableResult
    public static func raiseToHardLimit() -> UInt64 {
        var limit = rlimit()
        guard getrlimit(resourceID, &limit) == 0 else { return 0 }
        if limit.rlim_cur < limit.rlim_max {
            var raised = limit
            raised.rlim_cur = limit.rlim_max
            if setrlimit(resourceID, &raised) == 0 { return UInt64(raised.rlim_cur) }
        }
        return UInt64(limit.rlim_cur)
    }

    #if canImport(Glibc)
    private static let resourceID = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    private static let resourceID = RLIMIT_NOFILE
    #endif
}
