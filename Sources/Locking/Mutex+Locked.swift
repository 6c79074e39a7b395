import CSanitizerHooks
import Synchronization

extension Mutex where Value: ~Copyable {
    /// `withLock`, visible to ThreadSanitizer.
    ///
    /// `Mutex` locks inside the uninstrumented standard library, so a `-sanitize=thread` build reports every
    /// two holders of one Mutex as a race (shown by a 15-line program: four threads counting under one Mutex
    /// reach the exact total and get reports). Inside the lock this tells the sanitizer it acquired the
    /// Mutex's address, and that it releases it before the lock is given back. Without the sanitizer the
    /// hooks are null weak symbols and cost a branch. Use this, not `withLock`, in this package.
    @inlinable
    public borrowing func locked<Result: ~Copyable, E: Error>(
        _ body: (inout sending Value) throws(E) -> sending Result
    ) throws(E) -> sending Result {
        // The address of the Mutex itself: `self` is borrowed in place, and taking it is no access to the
        // value (taking the value's address would be one, and itself reported, before the acquire).
        let address = withUnsafePointer(to: self) { UnsafeRawPointer($0) }
        return try withLock { (value: inout sending Value) throws(E) -> sending Result in
            wx_tsan_acquire(address)
            defer { wx_tsan_release(address) }
            return try body(&value)
        }
    }
}
