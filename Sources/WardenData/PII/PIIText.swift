import Foundation

/// Byte-level helpers shared by the detectors, which work on UTF-8 bytes (ASCII decisions only:
/// every byte ≥ 0x80 counts as "not part of a word", so PII next to non-ASCII text is still found).
enum PIIText {
    static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
    static func isUpper(_ b: UInt8) -> Bool { b >= 0x41 && b <= 0x5A }
    static func isLower(_ b: UInt8) -> Bool { b >= 0x61 && b <= 0x7A }
    static func isLetter(_ b: UInt8) -> Bool { isUpper(b) || isLower(b) }
    static func isAlnum(_ b: UInt8) -> Bool { isDigit(b) || isLetter(b) }
    static func isHex(_ b: UInt8) -> Bool { isDigit(b) || (b | 0x20 >= 0x61 && b | 0x20 <= 0x66) }
    /// Letters, digits and `_`: the characters of an identifier.
    static func isWord(_ b: UInt8) -> Bool { isAlnum(b) || b == UInt8(ascii: "_") }

    /// Whether a number-like match may start at `start`: not glued to a word (`ORD-123`, `v1.2`,
    /// `#123`, `$12`), so identifiers, versions and amounts are left alone.
    static func numberStartsCleanly(_ bytes: [UInt8], _ start: Int) -> Bool {
        guard start > 0 else { return true }
        let p = bytes[start - 1]
        if isWord(p) || p == UInt8(ascii: "#") || p == UInt8(ascii: "$") || p == UInt8(ascii: "@") { return false }
        if p == UInt8(ascii: ".") || p == UInt8(ascii: "-") || p == UInt8(ascii: "/") || p == UInt8(ascii: ":")
            || p == UInt8(ascii: "+")
        {
            if start >= 2 && isWord(bytes[start - 2]) { return false }
        }
        return true
    }

    /// Whether a number-like match may end at `end` (exclusive): not followed by a word or by a
    /// separator that continues a longer identifier (`…-A`, `….5`).
    static func numberEndsCleanly(_ bytes: [UInt8], _ end: Int) -> Bool {
        guard end < bytes.count else { return true }
        let q = bytes[end]
        if isWord(q) || q == UInt8(ascii: "@") { return false }
        if q == UInt8(ascii: ".") || q == UInt8(ascii: "-") || q == UInt8(ascii: "/") {
            if end + 1 < bytes.count && isWord(bytes[end + 1]) { return false }
        }
        return true
    }

    /// Whether a token (key, IBAN) may start at `start`: the previous byte is not a word byte.
    static func tokenStartsCleanly(_ bytes: [UInt8], _ start: Int) -> Bool {
        start == 0 || !(isWord(bytes[start - 1]) || bytes[start - 1] == UInt8(ascii: "-"))
    }

    /// Whether a token may end at `end` (exclusive).
    static func tokenEndsCleanly(_ bytes: [UInt8], _ end: Int) -> Bool {
        end >= bytes.count || !isWord(bytes[end])
    }

    /// Whether `bytes` at `offset` start with `prefix` (ASCII, case-sensitive).
    static func hasPrefix(_ bytes: [UInt8], at offset: Int, _ prefix: StaticString) -> Bool {
        let count = prefix.utf8CodeUnitCount
        guard offset + count <= bytes.count else { return false }
        return prefix.withUTF8Buffer { p in
            for i in 0..<count where bytes[offset + i] != p[i] { return false }
            return true
        }
    }

    /// The lowercased ASCII text of up to `length` bytes before `offset`.
    static func lowercasedText(before offset: Int, length: Int, in bytes: [UInt8]) -> String {
        let start = max(0, offset - length)
        return String(decoding: bytes[start..<offset].map { isUpper($0) ? $0 | 0x20 : $0 }, as: UTF8.self)
    }

    /// Shannon entropy of the bytes, in bits per byte.
    static func shannonEntropy(_ bytes: ArraySlice<UInt8>) -> Double {
        guard !bytes.isEmpty else { return 0 }
        var counts = [Int](repeating: 0, count: 256)
        for b in bytes { counts[Int(b)] += 1 }
        let n = Double(bytes.count)
        var h = 0.0
        for c in counts where c > 0 {
            let p = Double(c) / n
            h -= p * log2(p)
        }
        return h
    }
}
