// FuseBridge: the libfuse3 low-level glue, and the only module that imports CFuse.
//
// C callbacks run on libfuse's worker threads. Each one copies what it needs (the name, the file info) before
// it returns, wraps `fuse_req_t` in a `FuseReply` that answers exactly once (EIO if dropped unanswered),
// and hands the work to a Task: a slow upstream fetch never blocks another request. Context reaches the
// callbacks only through `fuse_req_userdata` (as libfuse's passthrough_ll does with `lo_data(req)`).
