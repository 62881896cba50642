/// The open streams of one HTTP/2 connection, by stream id: an open-addressed table whose
/// hash is the id itself.
///
/// A `Dictionary` keyed by `Int32` hashes every lookup with SipHash, about 150 instructions,
/// and a request looks its streams up some 25 times (callgrind). The stream ids one side opens
/// are consecutive odd numbers, so `id / 2` spreads them over the slots with no hashing, and
/// a removal moves later colliding entries back rather than leaving a tombstone: ids only
/// grow, and tombstones would fill the table.
struct StreamMap<Value> {
    private var ids: [Int32]
    private var values: [Value?]
    /// Streams in the table.
    private(set) var count = 0
    /// Streams not in their home slot (pushed on by a collision). While there are none, a
    /// removal needs no look at the slots after it: no probe runs through it.
    private var displaced = 0

    init() {
        ids = Array(repeating: 0, count: 16)
        values = Array(repeating: nil, count: 16)
    }

    var isEmpty: Bool { count == 0 }

    /// Every stream's value, in no particular order.
    var allValues: [Value] { values.compactMap { $0 } }

    func contains(_ id: Int32) -> Bool { slot(of: id) != nil }

    /// Read only: changes go through ``set(_:for:)``, ``update(_:_:)`` and
    /// ``removeValue(forKey:)``. A settable subscript is a `_modify` coroutine, whose frame
    /// holds a copy of the value; for a stream's pending body that frame did not fit the
    /// caller's buffer and was allocated on every change (callgrind: 9.5 `malloc`s a request).
    subscript(id: Int32) -> Value? {
        slot(of: id).flatMap { values[$0] }
    }

    /// Puts `value` in for the stream, replacing any it had.
    mutating func set(_ value: Value, for id: Int32) {
        if let slot = slot(of: id) {
            values[slot] = value
        } else {
            insert(value, for: id)
        }
    }

    /// Changes the stream's value in place and returns what `body` returns; nil, without a
    /// call, when there is no such stream.
    mutating func update<Result>(_ id: Int32, _ body: (inout Value) -> Result) -> Result? {
        guard let slot = slot(of: id) else { return nil }
        // Safe: a slot found by its id holds that stream's value.
        return body(&values[slot]!)
    }

    @discardableResult
    mutating func removeValue(forKey id: Int32) -> Value? {
        guard let slot = slot(of: id) else { return nil }
        let value = values[slot]
        remove(at: slot)
        return value
    }

    private var mask: Int { ids.count - 1 }

    private func home(of id: Int32) -> Int { Int(id >> 1) & mask }

    private func slot(of id: Int32) -> Int? {
        assert(id > 0, "stream ids are positive")
        var slot = home(of: id)
        while true {
            let found = ids[slot]
            if found == id { return slot }
            if found == 0 { return nil }
            slot = (slot + 1) & mask
        }
    }

    private mutating func insert(_ value: Value, for id: Int32) {
        assert(id > 0 && slot(of: id) == nil)
        // At most three quarters full, so that a probe soon meets an empty slot.
        if (count + 1) * 4 > ids.count * 3 { grow() }
        var slot = home(of: id)
        while ids[slot] != 0 { slot = (slot + 1) & mask }
        if slot != home(of: id) { displaced += 1 }
        ids[slot] = id
        values[slot] = value
        count += 1
    }

    /// Empties `slot`, then moves back each entry of the run after it that may no longer be
    /// found past the gap (its home slot is not between the gap and where it lies).
    private mutating func remove(at slot: Int) {
        if slot != home(of: ids[slot]) { displaced -= 1 }
        ids[slot] = 0
        values[slot] = nil
        count -= 1
        var gap = slot
        var next = (slot + 1) & mask
        while displaced > 0, ids[next] != 0 {
            let home = home(of: ids[next])
            // Distances forward, around the table: the entry stays if its home lies after the gap.
            if (next - home) & mask >= (next - gap) & mask {
                ids[gap] = ids[next]
                values[gap] = values[next]
                ids[next] = 0
                values[next] = nil
                if gap == home { displaced -= 1 }
                gap = next
            }
            next = (next + 1) & mask
        }
    }

    private mutating func grow() {
        let old = zip(ids, values).filter { $0.0 != 0 }
        ids = Array(repeating: 0, count: ids.count * 2)
        values = Array(repeating: nil, count: ids.count)
        count = 0
        displaced = 0
        for (id, value) in old {
            // Safe: every slot holding a stream id holds its value.
            insert(value.unsafelyUnwrapped, for: id)
        }
    }
}
