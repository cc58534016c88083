/// The static pickle machine's memo: Python's unpickler keeps a dict from integer keys to
/// objects. Picklers number their entries 0, 1, 2, …, so keys up to ``denseLimit`` live in an
/// array indexed by key (no hashing on every PUT and GET); any other key — negative, huge, sparse
/// — goes to a dictionary, so a hostile key costs one entry, never a huge array.
struct PickleMemo {
    /// Keys below this are stored densely; the array never grows past it.
    static let denseLimit: Int64 = 1 << 16

    private var dense: [PickleValue?] = []
    private var sparse: [Int64: PickleValue] = [:]
    /// The number of distinct keys stored (what MEMOIZE numbers its entry with).
    private(set) var count = 0

    subscript(key: Int64) -> PickleValue? {
        if key >= 0, key < Int64(dense.count), let value = dense[Int(key)] { return value }
        return sparse.isEmpty ? nil : sparse[key]
    }

    /// Stores `value` under `key`, replacing what was there (as a repeated PUT does).
    mutating func store(_ value: PickleValue, at key: Int64) {
        // Dense when the key is at most 1 024 past the array's end: a lone large key in a short
        // pickle goes to the dictionary instead of allocating the gap. A key that moves from the
        // dictionary to the array when the array reaches it is counted once.
        if key >= 0, key < Self.denseLimit, key <= Int64(dense.count) + 1024 {
            let index = Int(key)
            if index >= dense.count { dense.append(contentsOf: repeatElement(nil, count: index + 1 - dense.count)) }
            if dense[index] == nil, sparse.isEmpty || sparse.removeValue(forKey: key) == nil { count += 1 }
            dense[index] = value
        } else if sparse.updateValue(value, forKey: key) == nil {
            count += 1
        }
    }
}
