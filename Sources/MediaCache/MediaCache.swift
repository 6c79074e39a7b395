// MediaCache: the persistent on-disk block cache.
//
// Layout (versioned: a new format gets a new top folder, old ones are ignored and cleared):
//   <dir>/lock                         who owns the directory (flock; see CacheLock.swift)
//   <dir>/v1/<kind>/<id>/meta          JSON `CachedItem`, written to a temporary file and renamed
//   <dir>/v1/<kind>/<id>/<index>.blk   one block: a 32-byte header (magic, version, index, length, CRC-32C of the
//                                      data, CRC-32C of the header) then the data; temporary file + rename
// A block file is complete or absent after a crash (rename is atomic); a torn or altered one fails its
// checksum, is deleted and counts as a miss. Blocks are verified on their first read in a process and then
// read by slice. Eviction (by the owner of the directory only) is LRU by item, to a byte budget, and never touches
// an item that is pinned (open); an item with no block left goes whole once older than the media life (3 days).
// Directories are 0700 and files 0600. All disk I/O is blocking and runs on `DiskIO`'s threads, not on the
// cooperative pool (the scan in `DiskDataCache.init` runs on the caller's thread, before anything is served).
