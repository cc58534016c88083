/// IPv4 and IPv6 addresses. IPv4: four decimal octets 0–255 without leading zeros, not part of a
/// longer dotted version (`1.2.3.4.5`) and not introduced as a version (`version 1.2.3.4`). IPv6: the
/// RFC 4291 text forms, including `::` compression and an embedded IPv4 tail.
enum IPAddressValidator {
    static let versionWords = ["version ", "version: ", "ver ", "ver. ", "release ", "build ", "firmware ", "v. "]

    static func isValidOctet(_ digits: ArraySlice<UInt8>) -> Bool {
        guard (1...3).contains(digits.count) else { return false }
        if digits.count > 1 && digits.first == UInt8(ascii: "0") { return false }
        return digits.reduce(0) { $0 * 10 + Int($1 - 0x30) } <= 255
    }

    /// Whether the run is a dotted quad: four groups separated by dots (a CIDR `/n` may follow).
    static func ipv4Match(_ run: DigitRun, _ bytes: [UInt8]) -> Bool {
        guard !run.plus, !run.hasParenthesis, run.groups.count == 4,
            run.separators.allSatisfy({ $0 == UInt8(ascii: ".") })
        else { return false }
        guard run.groups.allSatisfy({ isValidOctet(bytes[$0.digits]) }) else { return false }
        let before = PIIText.lowercasedText(before: run.start, length: 12, in: bytes)
        return !versionWords.contains { before.hasSuffix($0) }
    }

    static func isIPv6Byte(_ b: UInt8) -> Bool {
        PIIText.isHex(b) || b == UInt8(ascii: ":") || b == UInt8(ascii: ".")
    }

    static func findIPv6(in bytes: [UInt8], _ found: inout [PIIMatch]) {
        var i = 0
        let n = bytes.count
        while i < n {
            guard bytes[i] == UInt8(ascii: ":") else {
                i += 1
                continue
            }
            // Expand around the first colon of a candidate.
            var start = i
            while start > 0 && isIPv6Byte(bytes[start - 1]) { start -= 1 }
            var end = i
            while end < n && isIPv6Byte(bytes[end]) { end += 1 }
            defer { i = max(end, i + 1) }
            if start > 0 && (PIIText.isWord(bytes[start - 1])) { continue }
            while end > start && bytes[end - 1] == UInt8(ascii: ".") { end -= 1 }
            if end - start >= 2 && bytes[end - 1] == UInt8(ascii: ":") && bytes[end - 2] != UInt8(ascii: ":") { end -= 1 }
            if end < n && PIIText.isWord(bytes[end]) { continue }
            if isValidIPv6(bytes[start..<end]) {
                found.append(PIIMatch(type: .ipv6, range: start..<end, rule: "ipv6"))
            }
        }
    }

    /// RFC 4291 section 2.2: eight groups of 1–4 hex digits, at most one `::`, optionally ending in
    /// a dotted IPv4 address. The unspecified address `::` alone is not reported.
    static func isValidIPv6(_ text: ArraySlice<UInt8>) -> Bool {
        let s = Array(text)
        guard s.count >= 3, s.count <= 45 else { return false }
        var doubleColon = -1
        var k = 0
        while k + 1 < s.count {
            if s[k] == UInt8(ascii: ":") && s[k + 1] == UInt8(ascii: ":") {
                guard doubleColon < 0 else { return false }
                doubleColon = k
                k += 2
            } else {
                k += 1
            }
        }
        func groups(_ part: ArraySlice<UInt8>, allowIPv4Tail: Bool) -> Int? {
            if part.isEmpty { return 0 }
            let pieces = part.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
            var count = 0
            for (index, piece) in pieces.enumerated() {
                if allowIPv4Tail && index == pieces.count - 1 && piece.contains(UInt8(ascii: ".")) {
                    let octets = piece.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
                    guard octets.count == 4, octets.allSatisfy({ $0.allSatisfy(PIIText.isDigit) && isValidOctet($0) }) else {
                        return nil
                    }
                    count += 2
                } else {
                    guard (1...4).contains(piece.count), piece.allSatisfy(PIIText.isHex) else { return nil }
                    count += 1
                }
            }
            return count
        }
        if doubleColon >= 0 {
            guard let left = groups(s[0..<doubleColon], allowIPv4Tail: false),
                let right = groups(s[(doubleColon + 2)...], allowIPv4Tail: true)
            else { return false }
            guard left + right <= 7, left + right >= 1 else { return false }
            return true
        }
        guard let count = groups(s[...], allowIPv4Tail: true) else { return false }
        return count == 8
    }
}
