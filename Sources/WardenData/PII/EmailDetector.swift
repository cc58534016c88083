/// Finds e-mail addresses: a dot-atom local part, `@`, and a domain of at least two labels whose
/// top-level label is alphabetic. Rejects `user@localhost`, `pkg@1.2.3`, `icon@2x.png`.
enum EmailDetector {
    static let imageExtensions: Set<String> = ["png", "jpg", "jpeg", "gif", "svg", "webp", "bmp", "tif", "tiff", "ico", "heic"]

    static func isLocalByte(_ b: UInt8) -> Bool {
        PIIText.isAlnum(b) || b == UInt8(ascii: ".") || b == UInt8(ascii: "_") || b == UInt8(ascii: "%")
            || b == UInt8(ascii: "+") || b == UInt8(ascii: "-")
    }

    static func isDomainByte(_ b: UInt8) -> Bool {
        PIIText.isAlnum(b) || b == UInt8(ascii: ".") || b == UInt8(ascii: "-")
    }

    static func find(in bytes: [UInt8], _ found: inout [PIIMatch]) {
        var at = 0
        while let index = bytes[at...].firstIndex(of: UInt8(ascii: "@")) {
            at = index + 1
            var start = index
            while start > 0 && isLocalByte(bytes[start - 1]) { start -= 1 }
            while start < index && bytes[start] == UInt8(ascii: ".") { start += 1 }
            var end = index + 1
            while end < bytes.count && isDomainByte(bytes[end]) { end += 1 }
            while end > index + 1 && (bytes[end - 1] == UInt8(ascii: ".") || bytes[end - 1] == UInt8(ascii: "-")) { end -= 1 }
            guard start < index, end > index + 1, index - start <= 64, end - index - 1 <= 253 else { continue }
            guard isValidLocal(bytes[start..<index]), isValidDomain(bytes[(index + 1)..<end]) else { continue }
            found.append(PIIMatch(type: .email, range: start..<end, rule: "email"))
            at = end
        }
    }

    static func isValidLocal(_ local: ArraySlice<UInt8>) -> Bool {
        guard local.first != UInt8(ascii: "."), local.last != UInt8(ascii: ".") else { return false }
        var previousDot = false
        for b in local {
            let dot = b == UInt8(ascii: ".")
            if dot && previousDot { return false }
            previousDot = dot
        }
        return true
    }

    static func isValidDomain(_ domain: ArraySlice<UInt8>) -> Bool {
        let labels = domain.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard labels.count >= 2 else { return false }
        for label in labels {
            guard (1...63).contains(label.count), label.first != UInt8(ascii: "-"), label.last != UInt8(ascii: "-") else {
                return false
            }
        }
        let tld = labels.last!
        guard (2...24).contains(tld.count), tld.allSatisfy(PIIText.isLetter) else { return false }
        let lower = String(decoding: tld.map { $0 | 0x20 }, as: UTF8.self)
        return !imageExtensions.contains(lower)
    }
}
