// MediaCache: the persistent on-disk cache: one file per item, small items packed several to a file.
//
// Layout (versioned: a new format gets a new top folder; an old one is migrated by the owner, see V1Migration):
//   <dir>/lock              who owns the directory (flock; see CacheLock.swift)
//   <dir>/v2/<kind>/<id>    the item file (ItemFileFormat.swift): a 64-byte header (magic, version, the item's
//                           identity, block size, table and meta capacities, a nonce, its CRC-32C), a table of
//                           (length, CRC-32C) per block, two meta slots (JSON `CachedItem` with its length,
//                           generation and CRC-32C: a new meta goes to the other slot), then block i at a fixed offset
//   <dir>/v2/packs/<n>.pack small whole items (one block, ≤ 128 KiB), several to a file (PackFormat.swift): one
//                           record per item, its bytes and meta together; the owner appends, and punches records out
//                           (evicted, replaced) so their pages are freed; a pack with no record left goes
// A file is made whole in a temporary and linked into place; blocks are written into it in place (data, then the
// table entry), so after a crash a block is there with its checksum or not vouched for; a torn or altered one fails
// its checksum, is struck from the table and counts as a miss. Blocks are verified on their first read in a process
// and then read by slice while the file's nonce is the one they were checked in. Eviction (by the owner of the
// directory only) is LRU by item, to a byte budget: an evicted item's file is replaced (rename) by one holding its
// meta alone, and never touches an item that is pinned (open); an item with no block left goes whole once older
// than the media life (3 days). Directories are 0700 and files 0600. All disk I/O is blocking and runs on
// `DiskIO`'s threads, not on the cooperative pool (the scan in `DiskDataCache.init` runs on the caller's thread,
// before anything is served; beside the mount, on its own thread).
