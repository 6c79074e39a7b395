import WeChatAPI

/// The one mapping from API failures to errno (API doc, table "errcode → … errno"). Exhaustive over the
/// categories, so a new category cannot be forgotten; tested from a table of every known errcode.
extension Errno {
    public init(_ category: WeChatErrorCategory) {
        switch category {
        case .notFound: self = .noEntry
        case .tokenInvalid, .credentials, .ipRefused, .notAuthorized: self = .accessDenied
        case .forbidden: self = .notPermitted
        case .dailyQuota: self = .quota
        case .badUpload: self = .invalid
        case .tooLarge: self = .fileTooLarge
        case .timeout: self = .timedOut
        // Busy and per-minute quota are retried first; what is left is an I/O error, never EAGAIN on read.
        case .busy, .minuteQuota, .unknownCode, .serverError, .transport, .badResponse, .local, .expiredURL: self = .io
        }
    }
}

extension FSError {
    /// Any error met while serving a request, as the errno the kernel will see.
    public init(_ error: any Error) {
        switch error {
        case let error as FSError:
            self = error
        case let error as WeChatError:
            self.init(Errno(error.category), error.description, cause: error)
        case let error as DailyLimitReached:
            // Our own limit (max_calls_per_day), said once in the log when first reached: EDQUOT, as 45009 is.
            self.init(.quota, error.description, logged: true)
        case is CancellationError:
            self.init(.io, "cancelled")
        default:
            self.init(.io, String(describing: error))
        }
    }
}
