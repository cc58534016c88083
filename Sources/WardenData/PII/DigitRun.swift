/// A run of digit groups as people write numbers: `+1 (415) 555-2671`, `4111 1111 1111 1111`,
/// `078-05-1120`, `192.168.0.1`. The number detectors (cards, SSNs, phones, IPv4) read the same
/// run and decide by grouping, separators and check digits.
struct DigitRun {
    struct Group {
        /// Byte range of the digits.
        var digits: Range<Int>
        /// Byte where the group starts (its `(` when parenthesised).
        var start: Int
        /// Byte after the group (after its `)` when parenthesised).
        var end: Int
        var parenthesised: Bool
    }

    /// Where the run starts (its `+` when it has one).
    var start: Int
    var plus: Bool
    var groups: [Group]
    /// The separator before each group after the first: one of ` `, `-`, `.`, `/`, or `)` after a
    /// parenthesised group.
    var separators: [UInt8]

    var end: Int { groups.last!.end }

    static let maxGroups = 12

    /// Reads the run that starts at `start` (a digit, `+` or `(`), or nil when there is none.
    static func read(_ bytes: [UInt8], at start: Int) -> DigitRun? {
        let n = bytes.count
        var j = start
        var plus = false
        if bytes[j] == UInt8(ascii: "+") {
            plus = true
            j += 1
        }
        var groups: [Group] = []
        var separators: [UInt8] = []
        while groups.count < maxGroups {
            let groupStart = j
            var paren = false
            if j + 1 < n, bytes[j] == UInt8(ascii: "("), PIIText.isDigit(bytes[j + 1]) {
                paren = true
                j += 1
            }
            let digitStart = j
            while j < n && PIIText.isDigit(bytes[j]) { j += 1 }
            guard j > digitStart else { break }
            if paren {
                guard j < n, bytes[j] == UInt8(ascii: ")") else { return nil }
                j += 1
            }
            groups.append(Group(digits: digitStart..<j - (paren ? 1 : 0), start: groupStart, end: j, parenthesised: paren))
            // A separator continues the run only if a group follows it.
            var k = j
            var separator: UInt8
            if paren {
                separator = UInt8(ascii: ")")
                if k < n, bytes[k] == UInt8(ascii: " ") || bytes[k] == UInt8(ascii: "-") { k += 1 }
            } else if k < n, [UInt8(ascii: " "), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "/")].contains(bytes[k]) {
                separator = bytes[k]
                k += 1
            } else {
                break
            }
            guard k < n, PIIText.isDigit(bytes[k]) || (bytes[k] == UInt8(ascii: "(") && k + 1 < n && PIIText.isDigit(bytes[k + 1]))
            else { break }
            if paren && k == j { separator = UInt8(ascii: ")") }
            separators.append(separator)
            j = k
        }
        guard !groups.isEmpty else { return nil }
        return DigitRun(start: start, plus: plus, groups: groups, separators: separators)
    }

    /// The sub-run of groups `range` (the `+` belongs to the first group only).
    func slice(_ range: Range<Int>) -> DigitRun {
        DigitRun(
            start: range.lowerBound == 0 ? start : groups[range.lowerBound].start,
            plus: range.lowerBound == 0 && plus,
            groups: Array(groups[range]),
            separators: Array(separators[range.lowerBound..<(range.upperBound - 1)]))
    }

    func digits(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        for g in groups { out += bytes[g.digits] }
        return out
    }

    var lengths: [Int] { groups.map { $0.digits.count } }

    /// Whether every separator is one of `allowed` and all are the same.
    func hasUniformSeparators(_ allowed: [UInt8]) -> Bool {
        guard let first = separators.first else { return true }
        return allowed.contains(first) && separators.allSatisfy { $0 == first }
    }

    var hasParenthesis: Bool { groups.contains { $0.parenthesised } }
}
