import Testing
@testable import MediaCache

/// The compact table behaves like a Dictionary (the reference) through random inserts, updates and removals,
/// including removals that shift probe chains and move the last entry into the hole.
@Suite struct KeyedTableTests {
    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state
        }
    }

    @Test(arguments: [1, 7, 2026])
    func behavesLikeADictionary(seed: UInt64) {
        var random = Generator(state: seed)
        var table = KeyedTable<Int>()
        var reference: [CacheKey: Int] = [:]
        let keys = (0..<600).map { CacheKey(kind: $0 % 3 == 0 ? .hd : .media, id: "Id_\($0)") }
        for step in 0..<20_000 {
            let key = keys[Int.random(in: 0..<keys.count, using: &random)]
            switch Int.random(in: 0..<10, using: &random) {
            case 0..<5:
                table.update(key, default: 0) { $0 += step }
                reference[key, default: 0] += step
            case 5..<8:
                #expect(table.removeValue(forKey: key) == reference.removeValue(forKey: key))
            default:
                table.modify(key) { $0 -= 1 }
                reference[key]? -= 1
            }
            #expect(table.count == reference.count)
        }
        for key in keys { #expect(table[key] == reference[key]) }
        #expect(Dictionary(uniqueKeysWithValues: table.map { ($0.key, $0.value) }) == reference)
    }
}
