// MediaFS: the filesystem core, free of FUSE and HTTP types (mountpoint-s3's `fs.rs` idea).
//
// `MediaFileSystem` answers lookup/getattr/open/read/readdir/release/forget with plain values and throws
// `FSError` carrying the errno from the one mapping (FSError+Errno.swift). Each media item is a `MediaItem`
// actor that owns its transfers: the first lookup starts one upstream download that both reports the head
// (size, type) and streams the first bytes into the block cache; reads wait only for the blocks they cover,
// and every block is fetched once however many readers want it (single-flight through block claims).
// Videos behind a Range-capable CDN are read in windows that double on sequential access; other items are
// one stream for their whole life in the cache (media/get has a daily quota).
