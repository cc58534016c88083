import WardenData
import WardenTesting

/// A seeded, labelled corpus for measuring the PII detectors: values of every type in the formats
/// people write them, embedded bare or in sentences, and look-alike decoys that must not be flagged
/// (invalid cards and SSNs, order numbers, versions, UUIDs, digests, product codes, dates, …).
struct PIICorpus {
    struct Row: Sendable {
        /// The PII type, or nil for a decoy.
        var type: PIIType?
        /// The decoy category, or the type's name.
        var category: String
        var text: String
        /// UTF-8 byte range of the planted PII in `text` (nil for decoys).
        var planted: Range<Int>?
    }

    var rows: [Row] = []
    private var rng: SeededGenerator

    static let decoyCategories = [
        "invalid_card", "invalid_ssn", "order_number", "version", "uuid", "hash", "product_code", "date_time",
        "number", "identifier", "invalid_iban", "invalid_ip", "email_lookalike", "invalid_phone",
    ]

    init(seed: UInt64, perType: Int, perDecoy: Int) {
        rng = SeededGenerator(seed: seed)
        for type in PIIType.allCases {
            for _ in 0..<perType { plant(type) }
        }
        for category in Self.decoyCategories {
            for _ in 0..<perDecoy { rows.append(Row(type: nil, category: category, text: decoy(category), planted: nil)) }
        }
    }

    // MARK: random helpers

    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &rng) }
    mutating func pick<T>(_ items: [T]) -> T { items[int(0...(items.count - 1))] }
    mutating func digits(_ n: Int) -> String { String((0..<n).map { _ in Character(String(int(0...9))) }) }
    mutating func chars(_ n: Int, from alphabet: String) -> String {
        let a = Array(alphabet)
        return String((0..<n).map { _ in a[int(0...(a.count - 1))] })
    }
    static let lower = "abcdefghijklmnopqrstuvwxyz"
    static let upper = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    static let base62 = lower + upper + "0123456789"
    static let hex = "0123456789abcdef"

    static let templates = [
        "{}", "{}", "Contact: {}", "please reach {} tomorrow", "ref {} (confirmed)", "value={}", "\"{}\"",
        "Sent to {}.", "{} — updated", "notes: {}; ok",
    ]

    mutating func plant(_ type: PIIType) {
        let value = generate(type)
        let template = pick(Self.templates)
        let prefix = String(template[..<template.range(of: "{}")!.lowerBound])
        let suffix = String(template[template.range(of: "{}")!.upperBound...])
        let start = prefix.utf8.count
        rows.append(Row(type: type, category: type.rawValue, text: prefix + value + suffix, planted: start..<(start + value.utf8.count)))
    }

    // MARK: true values

    mutating func generate(_ type: PIIType) -> String {
        switch type {
        case .email: return email()
        case .phone: return phone()
        case .ssn: return ssn()
        case .creditCard: return card(valid: true)
        case .iban: return iban(valid: true)
        case .ipv4: return "\(int(1...223)).\(int(0...255)).\(int(0...255)).\(int(1...254))"
        case .ipv6: return ipv6()
        default: return secret()
        }
    }

    mutating func email() -> String {
        let first = chars(int(2...8), from: Self.lower)
        let last = chars(int(2...10), from: Self.lower)
        let local = pick(["\(first).\(last)", "\(first)\(int(1...99))", "\(first)_\(last)", "\(first)+news", "\(first.prefix(1))\(last)"])
        let domain = pick(["example.com", "mail.example.org", "uni-\(chars(4, from: Self.lower)).ac.uk", "\(chars(6, from: Self.lower)).io", "corp.\(chars(5, from: Self.lower)).de"])
        return int(0...9) == 0 ? (local + "@" + domain).uppercased() : local + "@" + domain
    }

    mutating func nanp() -> (String, String, String) {
        var area: String
        repeat { area = "\(int(2...9))\(int(0...8))\(int(0...9))" } while area.dropFirst() == "11"
        var exchange: String
        repeat { exchange = "\(int(2...9))\(int(0...9))\(int(0...9))" } while exchange.dropFirst() == "11" || exchange == "555"
        return (area, exchange, digits(4))
    }

    mutating func phone() -> String {
        switch int(0...11) {
        case 0: let (a, e, l) = nanp(); return "(\(a)) \(e)-\(l)"
        case 1: let (a, e, l) = nanp(); return "\(a)-\(e)-\(l)"
        case 2: let (a, e, l) = nanp(); return "\(a).\(e).\(l)"
        case 3: let (a, e, l) = nanp(); return "+1 \(a) \(e) \(l)"
        case 4: let (a, e, l) = nanp(); return "1-\(a)-\(e)-\(l)"
        case 5: return "+44 \(int(20...29)) \(digits(4)) \(digits(4))"
        case 6: return "07\(int(100...999)) \(int(100_000...999_999))"
        case 7: return "+49 \(int(30...89)) \(int(1_000_000...99_999_999))"
        case 8: return "0\(int(30...89)) \(int(1_000_000...99_999_999))"
        case 9: return "+33 \(int(1...9)) \(digits(2)) \(digits(2)) \(digits(2)) \(digits(2))"
        case 10: return "0\(int(1...9)) \(digits(2)) \(digits(2)) \(digits(2)) \(digits(2))"
        default: return pick(["+91 ", ""]) + "\(int(6...9))\(digits(4)) \(digits(5))"
        }
    }

    mutating func ssn() -> String {
        var area: Int
        repeat { area = int(1...899) } while area == 666
        let n = String(format3: area) + "-" + String(format2: int(1...99)) + "-" + String(format4: int(1...9999))
        let bad: Set<String> = ["078-05-1120", "219-09-9999", "457-55-5462", "123-45-6789"]
        if bad.contains(n) { return ssn() }
        return int(0...4) == 0 ? n.replacingOccurrences(of: "-", with: " ") : n
    }

    static func luhnDigit(_ partial: String) -> Int {
        var sum = 0
        for (i, c) in partial.reversed().enumerated() {
            var v = Int(String(c))!
            if i % 2 == 0 {
                v *= 2
                if v > 9 { v -= 9 }
            }
            sum += v
        }
        return (10 - sum % 10) % 10
    }

    mutating func card(valid: Bool) -> String {
        let (prefix, length): (String, Int) = pick([
            ("4", 16), ("4", 16), ("4", 13), ("5\(int(1...5))", 16), ("2\(int(221...720))", 16), ("3\(pick([4, 7]))", 15),
            ("6011", 16), ("65", 16), ("35\(int(28...89))", 16), ("36", 14), ("62", 16),
        ])
        let body = prefix + digits(length - prefix.count - 1)
        var check = Self.luhnDigit(body)
        if !valid { check = (check + int(1...9)) % 10 }
        let number = body + String(check)
        let chars = Array(number)
        switch int(0...2) {
        case 0: return number
        case 1:
            if length == 15 { return String(chars[0..<4]) + " " + String(chars[4..<10]) + " " + String(chars[10...]) }
            return stride(from: 0, to: length, by: 4).map { String(chars[$0..<min($0 + 4, length)]) }.joined(separator: " ")
        default:
            if length == 15 { return String(chars[0..<4]) + "-" + String(chars[4..<10]) + "-" + String(chars[10...]) }
            return stride(from: 0, to: length, by: 4).map { String(chars[$0..<min($0 + 4, length)]) }.joined(separator: "-")
        }
    }

    static func ibanCheck(country: String, bban: String) -> Int {
        var remainder = 0
        for c in (bban + country + "00") {
            if let d = c.wholeNumberValue {
                remainder = (remainder * 10 + d) % 97
            } else {
                remainder = (remainder * 100 + Int(c.asciiValue! - 55)) % 97
            }
        }
        return 98 - remainder
    }

    mutating func iban(valid: Bool) -> String {
        let (country, bban): (String, String) = pick([
            ("DE", digits(18)), ("GB", chars(4, from: Self.upper) + digits(14)), ("FR", digits(10) + chars(11, from: Self.upper + "0123456789") + digits(2)),
            ("NL", chars(4, from: Self.upper) + digits(10)), ("ES", digits(20)), ("IT", chars(1, from: Self.upper) + digits(10) + chars(12, from: Self.upper + "0123456789")),
        ])
        var check = Self.ibanCheck(country: country, bban: bban)
        if !valid { check = (check - 2 + int(1...96)) % 97 + 2 }
        let iban = country + String(format2: check) + bban
        if int(0...1) == 0 { return iban }
        let c = Array(iban)
        return stride(from: 0, to: c.count, by: 4).map { String(c[$0..<min($0 + 4, c.count)]) }.joined(separator: " ")
    }

    mutating func ipv6() -> String {
        var groups = (0..<8).map { _ in String(int(0...0xffff), radix: 16) }
        switch int(0...3) {
        case 0: groups[0] = "2001"; groups[1] = "db8"; return groups.joined(separator: ":")
        case 1: return "fe80::" + groups[4...].joined(separator: ":")
        case 2: return groups[0..<3].joined(separator: ":") + "::" + groups[6...].joined(separator: ":")
        default: return groups.map { String(repeating: "0", count: 4 - $0.count) + $0 }.joined(separator: ":")
        }
    }

    mutating func secret() -> String {
        switch int(0...9) {
        case 0: return pick(["AKIA", "ASIA"]) + chars(16, from: Self.upper + "0123456789")
        case 1: return pick(["ghp_", "gho_"]) + chars(36, from: Self.base62)
        case 2: return "github_pat_" + chars(22, from: Self.base62) + "_" + chars(59, from: Self.base62)
        case 3: return "xoxb-\(digits(12))-\(digits(13))-" + chars(24, from: Self.base62)
        case 4: return "sk_live_" + chars(24, from: Self.base62)
        case 5: return "AIza" + chars(35, from: Self.base62 + "-_")
        case 6: return "sk-proj-" + chars(48, from: Self.base62 + "-_")
        case 7:
            let header = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
            return header + ".eyJ" + chars(int(20...60), from: Self.base62) + "." + chars(43, from: Self.base62 + "-_")
        default: return chars(int(24...48), from: Self.base62)
        }
    }

    // MARK: decoys

    mutating func decoy(_ category: String) -> String {
        switch category {
        case "invalid_card": return card(valid: false)
        case "invalid_ssn":
            let area = pick(["000", "666", "9\(digits(2))", String(format3: int(1...665))])
            let group = area.count == 3 && !["000", "666"].contains(area) && !area.hasPrefix("9") ? "00" : String(format2: int(1...99))
            let serial = group == "00" || int(0...1) == 0 ? String(format4: int(1...9999)) : "0000"
            return pick(["\(area)-\(group)-\(serial)", "078-05-1120", "219-09-9999", "SSN: 123-45-6789"])
        case "order_number":
            return pick(["ORD-\(digits(int(8...16)))", "Order #\(digits(int(6...16)))", "INV-2024-\(digits(6))", "PO\(digits(10))", "tracking 1Z\(chars(16, from: Self.upper + "0123456789"))"])
        case "version":
            return pick(["v\(int(0...20)).\(int(0...99)).\(int(0...999))", "\(int(1...9)).\(int(0...9)).\(int(0...9)).\(int(0...9)).\(int(0...9))", "version \(int(1...9)).\(int(0...20)).\(int(0...9)).\(int(0...99))", "10.0.\(int(10000...22000)).\(int(1...999))", "release-\(int(1...9)).\(int(0...9))"])
        case "uuid":
            let u = [chars(8, from: Self.hex), chars(4, from: Self.hex), "4" + chars(3, from: Self.hex), chars(4, from: Self.hex), chars(12, from: Self.hex)].joined(separator: "-")
            return pick([u, u.uppercased(), "id=\(u)"])
        case "hash":
            return pick(["sha256:" + chars(64, from: Self.hex), chars(40, from: Self.hex), "md5 " + chars(32, from: Self.hex), "commit " + chars(40, from: Self.hex), chars(64, from: Self.hex)])
        case "product_code":
            return pick(["SKU \(chars(2, from: Self.upper))-\(digits(4))-\(digits(3))", "PN-\(digits(3))-\(digits(3))-\(digits(4))", "\(int(100...199))-\(digits(3))-\(digits(4))", "\(digits(3))-\(digits(4))-\(digits(3))", "item \(int(10...99))-\(digits(4))-\(digits(4))"])
        case "date_time":
            return pick(["20\(int(10...30))-\(String(format2: int(1...12)))-\(String(format2: int(1...28)))", "\(String(format2: int(1...28)))/\(String(format2: int(1...12)))/20\(int(10...30))", "20\(int(10...30))-0\(int(1...9))-1\(int(0...9))T\(String(format2: int(0...23))):\(String(format2: int(0...59))):00Z", "\(String(format2: int(0...23))):\(String(format2: int(0...59))):\(String(format2: int(0...59)))", "\(int(1_500_000_000...1_800_000_000))", "\(int(1_500_000_000_000...1_800_000_000_000))", "20\(int(10...30))0\(int(1...9))1\(int(0...9))\(digits(6))"])
        case "number":
            return pick(["$\(int(1...999)),\(digits(3)).\(digits(2))", "\(int(1_000_000...99_999_999))", "\(int(1...999)).\(digits(2)) kg", "qty \(int(1...99)) x \(int(1...999))", "\(digits(3)) \(digits(3)) \(digits(3))"])
        case "identifier":
            let words = ["user", "account", "settings", "product", "category", "customer", "support", "ticket", "transaction", "reference", "number", "config", "value", "manager", "factory", "builder", "service", "handler"]
            func cap(_ w: String) -> String { w.prefix(1).uppercased() + w.dropFirst() }
            let ws = (0..<int(3...6)).map { _ in pick(words) }
            return pick([ws[0] + ws.dropFirst().map(cap).joined(), ws.joined(separator: "_") + "_\(int(1...2030))", ws.map(cap).joined(), "/usr/local/" + ws.joined(separator: "/") + "/python3", ws.joined(separator: "-")])
        case "invalid_iban": return iban(valid: false)
        case "invalid_ip": return pick(["\(int(256...999)).\(int(0...255)).\(int(0...255)).\(int(0...255))", "\(int(1...255)).\(int(0...255)).\(int(0...255)).\(int(256...999))", "01.02.03.04", "\(int(1...9)).\(int(0...9)).\(int(0...9))"])
        case "email_lookalike": return pick(["user@localhost", "icon@2x.png", "lodash@\(int(1...9)).\(int(0...20)).\(int(0...20))", "@\(chars(8, from: Self.lower))", "name at example dot com"])
        default:  // invalid_phone
            let (_, e, l) = nanp()
            return pick(["\(int(100...199))-\(e)-\(l)", "(\(int(0...1))\(digits(2))) \(e)-\(l)", "\(int(200...999))-\(int(0...1))\(digits(2))-\(l)", "555-\(l)", "\(int(200...999))-555-01\(digits(2))"])
        }
    }
}

extension String {
    init(format2 v: Int) { self = v < 10 ? "0\(v)" : "\(v)" }
    init(format3 v: Int) { self = String(repeating: "0", count: 3 - String(v).count) + String(v) }
    init(format4 v: Int) { self = String(repeating: "0", count: 4 - String(v).count) + String(v) }
}
