import Foundation

/// Finds credentials: keys with a known prefix (AWS, GitHub, Slack, Stripe, Google, OpenAI), PEM
/// private keys, JWTs, AWS secret keys next to their name, and high-entropy tokens.
///
/// High-entropy tokens are 20+ characters of `[A-Za-z0-9+/_-]` (trailing `=` padding aside) whose Shannon entropy reaches
/// `min(0.8·log2(n), 4.8)` bits per character — the 0.5th percentile of random base-62 tokens of that
/// length, so 99.5 % of random keys pass — that contain letters and digits or both cases, and that do
/// not split into word-like pieces (`getUserAccountSettingsById`, `ProductCategory_2024`). Hex-only
/// tokens (SHA digests, git commits) and UUIDs are never reported as high-entropy tokens, except a
/// hex token in a field whose name says it is a credential (`api_key`) and not a digest (`sha256`).
enum SecretDetector {
    struct Prefix: Sendable {
        var prefix: StaticString
        var rule: String
        /// The characters allowed after the prefix and their count.
        var body: @Sendable (UInt8) -> Bool
        var length: ClosedRange<Int>
    }

    static func base62(_ b: UInt8) -> Bool { PIIText.isAlnum(b) }
    static func upperDigit(_ b: UInt8) -> Bool { PIIText.isUpper(b) || PIIText.isDigit(b) }
    static func urlSafe(_ b: UInt8) -> Bool { PIIText.isAlnum(b) || b == UInt8(ascii: "_") || b == UInt8(ascii: "-") }
    static func wordByte(_ b: UInt8) -> Bool { PIIText.isWord(b) }

    static let prefixes: [Prefix] = [
        Prefix(prefix: "AKIA", rule: "aws_access_key", body: upperDigit, length: 16...16),
        Prefix(prefix: "ASIA", rule: "aws_access_key", body: upperDigit, length: 16...16),
        Prefix(prefix: "AGPA", rule: "aws_access_key", body: upperDigit, length: 16...16),
        Prefix(prefix: "AIDA", rule: "aws_access_key", body: upperDigit, length: 16...16),
        Prefix(prefix: "AROA", rule: "aws_access_key", body: upperDigit, length: 16...16),
        Prefix(prefix: "ghp_", rule: "github_token", body: base62, length: 36...36),
        Prefix(prefix: "gho_", rule: "github_token", body: base62, length: 36...36),
        Prefix(prefix: "ghu_", rule: "github_token", body: base62, length: 36...36),
        Prefix(prefix: "ghs_", rule: "github_token", body: base62, length: 36...36),
        Prefix(prefix: "ghr_", rule: "github_token", body: base62, length: 36...36),
        Prefix(prefix: "github_pat_", rule: "github_token", body: wordByte, length: 22...255),
        Prefix(prefix: "xoxb-", rule: "slack_token", body: urlSafe, length: 10...255),
        Prefix(prefix: "xoxp-", rule: "slack_token", body: urlSafe, length: 10...255),
        Prefix(prefix: "xoxa-", rule: "slack_token", body: urlSafe, length: 10...255),
        Prefix(prefix: "xoxr-", rule: "slack_token", body: urlSafe, length: 10...255),
        Prefix(prefix: "xoxs-", rule: "slack_token", body: urlSafe, length: 10...255),
        Prefix(prefix: "xapp-", rule: "slack_token", body: urlSafe, length: 10...255),
        Prefix(prefix: "sk_live_", rule: "stripe_key", body: base62, length: 16...255),
        Prefix(prefix: "rk_live_", rule: "stripe_key", body: base62, length: 16...255),
        Prefix(prefix: "sk_test_", rule: "stripe_key", body: base62, length: 16...255),
        Prefix(prefix: "rk_test_", rule: "stripe_key", body: base62, length: 16...255),
        Prefix(prefix: "AIza", rule: "google_api_key", body: urlSafe, length: 35...35),
        Prefix(prefix: "sk-proj-", rule: "openai_key", body: urlSafe, length: 20...255),
        Prefix(prefix: "sk-ant-", rule: "anthropic_key", body: urlSafe, length: 20...255),
        Prefix(prefix: "sk-", rule: "openai_key", body: urlSafe, length: 32...255),
    ]

    /// Known prefixes, PEM private keys and JWTs: matched before everything else.
    static func findKnown(in bytes: [UInt8], _ found: inout [PIIMatch]) {
        findPEM(in: bytes, &found)
        let n = bytes.count
        var i = 0
        while i < n {
            let b = bytes[i]
            guard PIIText.isLetter(b), PIIText.tokenStartsCleanly(bytes, i) else {
                i += 1
                continue
            }
            if let jwt = jwtEnd(bytes, at: i) {
                found.append(PIIMatch(type: .secret, range: i..<jwt, rule: "jwt"))
                i = jwt
                continue
            }
            var matched = false
            for p in prefixes where PIIText.hasPrefix(bytes, at: i, p.prefix) {
                let bodyStart = i + p.prefix.utf8CodeUnitCount
                var j = bodyStart
                while j < n && p.body(bytes[j]) && j - bodyStart < p.length.upperBound { j += 1 }
                guard p.length.contains(j - bodyStart), PIIText.tokenEndsCleanly(bytes, j),
                    j >= n || bytes[j] != UInt8(ascii: "-")
                else { continue }
                let body = bytes[bodyStart..<j]
                // A real key body mixes character classes; "sk-this-is-not-a-key" does not.
                guard body.contains(where: PIIText.isDigit) || p.length.lowerBound == p.length.upperBound else { continue }
                found.append(PIIMatch(type: .secret, range: i..<j, rule: p.rule))
                i = j
                matched = true
                break
            }
            if !matched {
                i += 1
                while i < n && PIIText.isWord(bytes[i]) { i += 1 }
            }
        }
    }

    /// `-----BEGIN … PRIVATE KEY-----` through its END line (or the end of the value).
    static func findPEM(in bytes: [UInt8], _ found: inout [PIIMatch]) {
        let begin = Array("-----BEGIN ".utf8)
        var i = 0
        while let start = firstIndex(of: begin, in: bytes, from: i) {
            guard let headerEnd = firstIndex(of: Array("-----".utf8), in: bytes, from: start + begin.count) else { return }
            let label = String(decoding: bytes[(start + begin.count)..<headerEnd], as: UTF8.self)
            i = headerEnd + 5
            guard label.hasSuffix("PRIVATE KEY") || label.hasSuffix("PRIVATE KEY BLOCK") else { continue }
            var end = bytes.count
            if let close = firstIndex(of: Array("-----END \(label)-----".utf8), in: bytes, from: i) {
                end = close + "-----END \(label)-----".utf8.count
            }
            found.append(PIIMatch(type: .secret, range: start..<end, rule: "private_key"))
            i = end
        }
    }

    static func firstIndex(of needle: [UInt8], in bytes: [UInt8], from: Int) -> Int? {
        guard !needle.isEmpty, bytes.count >= needle.count, from <= bytes.count - needle.count else { return nil }
        var i = from
        while i <= bytes.count - needle.count {
            if bytes[i] == needle[0] && bytes[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }

    /// The end of a JWT starting at `i` (`eyJ….eyJ….sig`) whose header decodes to a JSON object.
    static func jwtEnd(_ bytes: [UInt8], at i: Int) -> Int? {
        guard PIIText.hasPrefix(bytes, at: i, "eyJ") else { return nil }
        var parts: [Range<Int>] = []
        var start = i
        var j = i
        while j <= bytes.count {
            if j == bytes.count || !urlSafe(bytes[j]) {
                parts.append(start..<j)
                guard j < bytes.count, bytes[j] == UInt8(ascii: "."), parts.count < 3 else { break }
                start = j + 1
            }
            j += 1
        }
        guard parts.count == 3, parts[0].count >= 10, parts[1].count >= 4,
            PIIText.hasPrefix(bytes, at: parts[1].lowerBound, "eyJ"),
            let header = base64URLDecode(bytes[parts[0]]), header.first == UInt8(ascii: "{"),
            String(decoding: header, as: UTF8.self).contains("\"alg\"") || String(decoding: header, as: UTF8.self).contains("\"typ\"")
        else { return nil }
        let end = parts[2].upperBound
        return PIIText.tokenEndsCleanly(bytes, end) ? end : nil
    }

    static func base64URLDecode(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        var s = String(decoding: text, as: UTF8.self).replacingOccurrences(of: "-", with: "+")
            .replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        return Data(base64Encoded: s).map { Array($0) }
    }

    // MARK: High entropy

    static func isTokenByte(_ b: UInt8) -> Bool {
        PIIText.isAlnum(b) || b == UInt8(ascii: "+") || b == UInt8(ascii: "/") || b == UInt8(ascii: "_")
            || b == UInt8(ascii: "-")
    }

    /// The entropy a random token of `length` characters reaches with 99.5 % probability.
    static func entropyThreshold(length: Int) -> Double { min(0.8 * log2(Double(length)), 4.8) }

    /// High-entropy tokens and context-dependent keys (AWS secret keys, hex API keys).
    static func findHighEntropy(in bytes: [UInt8], context: PIIContext, _ found: inout [PIIMatch]) {
        let n = bytes.count
        var i = 0
        while i < n {
            guard isTokenByte(bytes[i]) else {
                i += 1
                continue
            }
            var j = i
            while j < n && isTokenByte(bytes[j]) { j += 1 }
            defer { i = j }
            var start = i
            var end = j
            // Trim separators and padding at the edges: "/path", "key=", "--flag".
            while start < end && !PIIText.isAlnum(bytes[start]) { start += 1 }
            while end > start && (bytes[end - 1] == UInt8(ascii: "=") || !PIIText.isAlnum(bytes[end - 1])) { end -= 1 }
            guard end - start >= 20, end - start <= 1024 else { continue }
            let token = bytes[start..<end]
            if let rule = classify(token, bytes: bytes, start: start, context: context) {
                found.append(PIIMatch(type: .secret, range: start..<end, rule: rule))
            }
        }
    }

    static func classify(_ token: ArraySlice<UInt8>, bytes: [UInt8], start: Int, context: PIIContext) -> String? {
        if isUUID(token) { return nil }
        let before = PIIText.lowercasedText(before: start, length: 40, in: bytes)
        let digestWords = ["sha", "md5", "hash", "digest", "checksum", "commit", "etag", "fingerprint"]
        if token.allSatisfy(PIIText.isHex) {
            guard context.suggestsCredential, !context.suggestsDigest,
                !digestWords.contains(where: { before.contains($0) }), token.count >= 32
            else { return nil }
            return "hex_key"
        }
        // AWS secret access keys: 40 base64 characters named as such.
        if token.count == 40, token.allSatisfy({ PIIText.isAlnum($0) || $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "+") }),
            before.contains("aws") || before.contains("secret") || context.fieldContains(["aws", "secret"])
        {
            return "aws_secret_key"
        }
        let hasDigit = token.contains(where: PIIText.isDigit)
        let hasUpper = token.contains(where: PIIText.isUpper)
        let hasLower = token.contains(where: PIIText.isLower)
        guard hasUpper || hasLower, hasDigit || (hasUpper && hasLower) else { return nil }
        guard !isWordLike(token), !isPath(token), !isIBANShaped(token) else { return nil }
        guard PIIText.shannonEntropy(token) >= entropyThreshold(length: token.count) else { return nil }
        return "high_entropy"
    }

    /// A lower-case path (`usr/local/lib/python3`): two or more `/`-separated pieces, none with an
    /// upper-case letter (random base64 of this length almost always has one in some piece).
    static func isPath(_ token: ArraySlice<UInt8>) -> Bool {
        let pieces = token.split(separator: UInt8(ascii: "/"))
        return pieces.count >= 2 && !token.contains(where: PIIText.isUpper)
    }

    /// Country code, two digits and upper-case letters and digits to that country's IBAN length: an
    /// account number that failed its mod-97 check (a typo), not a credential.
    static func isIBANShaped(_ token: ArraySlice<UInt8>) -> Bool {
        let t = Array(token)
        guard t.count >= 15, PIIText.isUpper(t[0]), PIIText.isUpper(t[1]), PIIText.isDigit(t[2]), PIIText.isDigit(t[3]),
            let length = IBANValidator.lengths[String(decoding: t[0..<2], as: UTF8.self)], length == t.count
        else { return false }
        return t.allSatisfy(IBANValidator.isIBANByte)
    }

    /// 8-4-4-4-12 hex digits.
    static func isUUID(_ token: ArraySlice<UInt8>) -> Bool {
        guard token.count == 36 else { return false }
        for (k, b) in token.enumerated() {
            if [8, 13, 18, 23].contains(k) {
                if b != UInt8(ascii: "-") { return false }
            } else if !PIIText.isHex(b) {
                return false
            }
        }
        return true
    }

    /// Whether a token splits into word-like pieces averaging four or more characters: camelCase,
    /// snake_case, kebab-case and paths do; random keys split into many short pieces.
    static func isWordLike(_ token: ArraySlice<UInt8>) -> Bool {
        var pieces = 0
        var previous: UInt8 = 0
        var inPiece = false
        for b in token {
            let isSeparator = !PIIText.isAlnum(b)
            if isSeparator {
                inPiece = false
            } else {
                let boundary =
                    !inPiece || (PIIText.isUpper(b) && PIIText.isLower(previous))
                    || (PIIText.isDigit(b) != PIIText.isDigit(previous))
                if boundary { pieces += 1 }
                inPiece = true
            }
            previous = b
        }
        let letters = token.filter(PIIText.isAlnum).count
        return pieces > 0 && Double(letters) / Double(pieces) >= 4.0
    }
}
