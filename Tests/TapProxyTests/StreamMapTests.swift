import Testing
import TestSupport
@testable import TapProxy

@Suite struct StreamMapTests {
    /// Streams opened in id order and closed in a shuffled order, many more over time than the
    /// table has slots, with lookups of open, closed and never-opened ids along the way: the
    /// table always agrees with a Dictionary.
    @Test func itAgreesWithADictionaryThroughOpeningsAndClosingsInAnyOrder() {
        var generator = SeededRandom(seed: 7)
        for (spacing, window) in [(2, 5), (2, 40), (1, 13), (2, 200), (6, 30)] {
            var map = StreamMap<Int>()
            var reference: [Int32: Int] = [:]
            var next: Int32 = 1
            for step in 0..<5_000 {
                // Open a stream while fewer than `window` are open, else close a random one.
                if reference.count < window, generator.next() % 3 != 0 {
                    map.set(step, for: next)
                    reference[next] = step
                    next += Int32(spacing)
                } else if let id = reference.keys.randomElement(using: &generator) {
                    if generator.next() % 2 == 0 {
                        #expect(map.removeValue(forKey: id) == reference.removeValue(forKey: id))
                    } else {
                        map.removeValue(forKey: id)
                        reference[id] = nil
                    }
                }
                // Change one in place.
                if let id = reference.keys.randomElement(using: &generator) {
                    #expect(map.update(id) { value -> Int in value += 1; return value } == reference[id].map { $0 + 1 })
                    reference[id]! += 1
                }
                let probe = Int32(generator.next() % UInt64(next + 4)) + 1
                #expect(map[probe] == reference[probe], "spacing \(spacing), window \(window), step \(step), id \(probe)")
                #expect(map.contains(probe) == (reference[probe] != nil))
                #expect(map.count == reference.count)
            }
            #expect(map.allValues.sorted() == reference.values.sorted())
        }
    }

    @Test func aValueChangedInPlaceIsKeptSettingAgainReplacesItAndRemovingEmptiesTheMap() {
        var map = StreamMap<[Int]>()
        map.set([1], for: 3)
        #expect(map.update(3) { $0.append(2) } != nil)
        #expect(map.update(5) { $0.append(9) } == nil)  // no such stream: nothing happens
        #expect(map[3] == [1, 2])
        #expect(map[5] == nil)
        map.set([7], for: 3)
        #expect(map[3] == [7] && map.count == 1)
        #expect(map.removeValue(forKey: 3) == [7])
        #expect(map.isEmpty && map[3] == nil)
    }
}
