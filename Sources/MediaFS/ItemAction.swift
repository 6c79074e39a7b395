import Logging
import MediaCache
import WeChatAPI

/// What an item's actor must do after an event of its `ItemMachine`. Waiters are numbers: the actor holds their
/// continuations, the machine only says who gets what.
enum ItemAction: Sendable {
    case resumeHead(Int, Result<CachedItem, FSError>)
    case cancelHead(Int)
    case resumeBlock(Int, Result<[UInt8], FSError>)
    case cancelBlock(Int)
    case resumeURL(Int, Result<(url: String, generation: Int), FSError>)
    /// A stream waiting for a disk-write slot may go on (its block is being written).
    case resumeStream(Int)
    case resumeDrain(Int)
    case startTransfer(TransferPlan)
    case cancelTransfer(Int)
    /// Ask media/get for a fresh video_url (the answer is `urlRefreshed` or `urlRefreshFailed`).
    case refreshURL
    case storeBlock(Int, CheckedBlock)
    /// Write the item's meta; the machine counts it as a write under way until `metaStored`.
    case storeMeta(CachedItem)
    case log(Logger.Level, String)
}

/// One upstream transfer as the machine planned it: the blocks it claims and what to ask.
struct TransferPlan: Sendable, Equatable {
    let id: Int
    let firstBlock: Int
    /// Past the last block it claims (`Int.max`: to the end of the stream).
    let end: Int
    /// The bytes to ask (nil: the whole item, a first transfer).
    let range: ByteRange?
    let videoURL: String?
    /// When `videoURL` came from media/get if it has not served bytes yet (may still be "not ready").
    let videoURLFreshSince: Double?
    /// The URL generation the transfer uses (a refresh replaces exactly that one).
    let generation: Int
    /// A first transfer: blocks to stop after when the answer is a video whose CDN honours Range.
    let probeEnd: Int?
}
