import MediaCache
import Testing
@testable import MediaFS

/// Issue 20, point 3: one table says where each kind of item lives, how it is named and where it comes from.
@Suite struct MediaKindsTests {
    @Test func everyKindHasOneRowAndNamesResolveAsBefore() {
        for kind in CacheKey.Kind.allCases { #expect(MediaKinds.rows.filter { $0.kind == kind }.count == 1, "\(kind)") }
        #expect(MediaKinds.kind(in: Inode.media, extension: "jpg") == .media)
        #expect(MediaKinds.kind(in: Inode.media, extension: nil) == .media)
        #expect(MediaKinds.kind(in: Inode.hd, extension: "wav") == .hdWAV)
        #expect(MediaKinds.kind(in: Inode.hd, extension: "speex") == .hd)
        #expect(MediaKinds.kind(in: Inode.hd, extension: nil) == .hd)
        #expect(MediaKinds.kind(in: Inode.root, extension: "jpg") == nil && !MediaKinds.holdsItems(Inode.inbox))
        #expect(MediaKinds.kinds(in: Inode.hd) == [.hdWAV, .hd] && MediaKinds.kinds(in: Inode.media) == [.media])
        #expect(MediaKinds.row(.hd).jssdk && !MediaKinds.row(.media).jssdk && !MediaKinds.row(.hdWAV).jssdk)
        #expect(MediaKinds.row(.hdWAV).source == .decodedVoice && MediaKinds.row(.hd).source == .downloader)
    }
}
