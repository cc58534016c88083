/// Payment card numbers: issuer (IIN) prefix ranges with their allowed lengths, and the Luhn check.
enum PaymentCardValidator {
    struct Brand {
        var name: String
        /// Inclusive prefix ranges, compared on the first `digits` digits.
        var prefixes: [(low: Int, high: Int, digits: Int)]
        var lengths: ClosedRange<Int>
        var exactLengths: [Int]? = nil
    }

    static let brands: [Brand] = [
        Brand(name: "visa", prefixes: [(4, 4, 1)], lengths: 13...19, exactLengths: [13, 16, 19]),
        Brand(name: "mastercard", prefixes: [(51, 55, 2), (2221, 2720, 4)], lengths: 16...16),
        Brand(name: "amex", prefixes: [(34, 34, 2), (37, 37, 2)], lengths: 15...15),
        Brand(name: "discover", prefixes: [(6011, 6011, 4), (644, 649, 3), (65, 65, 2), (622126, 622925, 6)], lengths: 16...19),
        Brand(name: "diners", prefixes: [(300, 305, 3), (3095, 3095, 4), (36, 36, 2), (38, 39, 2)], lengths: 14...19),
        Brand(name: "jcb", prefixes: [(3528, 3589, 4)], lengths: 16...19),
        Brand(name: "unionpay", prefixes: [(62, 62, 2), (81, 81, 2)], lengths: 16...19),
        Brand(name: "maestro", prefixes: [(5018, 5018, 4), (5020, 5020, 4), (5038, 5038, 4), (5893, 5893, 4), (6304, 6304, 4), (6759, 6759, 4), (6761, 6763, 4)], lengths: 13...19),
        Brand(name: "mir", prefixes: [(2200, 2204, 4)], lengths: 16...19),
        Brand(name: "rupay", prefixes: [(60, 60, 2), (508, 508, 3), (82, 82, 2)], lengths: 16...16),
    ]

    /// The brand of a card number (ASCII digits), or nil when no issuer range and length fit.
    static func brand(of digits: [UInt8]) -> String? {
        for brand in brands {
            if let exact = brand.exactLengths {
                guard exact.contains(digits.count) else { continue }
            } else {
                guard brand.lengths.contains(digits.count) else { continue }
            }
            for p in brand.prefixes where digits.count >= p.digits {
                var value = 0
                for d in digits[0..<p.digits] { value = value * 10 + Int(d - 0x30) }
                if value >= p.low && value <= p.high { return brand.name }
            }
        }
        return nil
    }

    /// The Luhn (mod 10) check over ASCII digits.
    static func luhnIsValid(_ digits: [UInt8]) -> Bool {
        guard digits.count >= 2 else { return false }
        var sum = 0
        for (i, d) in digits.reversed().enumerated() {
            var v = Int(d - 0x30)
            if i % 2 == 1 {
                v *= 2
                if v > 9 { v -= 9 }
            }
            sum += v
        }
        return sum % 10 == 0
    }

    /// Whether a run is grouped like a printed card number (13–19 digits in fours, or 4-6-5 / 4-6-4).
    static func isCardShaped(_ run: DigitRun) -> Bool {
        let lengths = run.lengths
        let total = lengths.reduce(0, +)
        guard (13...19).contains(total), !run.plus, !run.hasParenthesis else { return false }
        if lengths == [4, 6, 5] || lengths == [4, 6, 4] { return true }
        return lengths.count >= 3 && lengths.dropLast().allSatisfy { $0 == 4 } && (1...4).contains(lengths.last!)
    }

    /// A card match for a digit run, or nil: 13–19 digits, grouped as cards are printed (bare,
    /// fours, or 4-6-5 / 4-6-4), one kind of separator, a known issuer and a valid Luhn digit.
    static func match(_ run: DigitRun, _ bytes: [UInt8]) -> String? {
        guard !run.plus, !run.hasParenthesis, run.hasUniformSeparators([UInt8(ascii: " "), UInt8(ascii: "-")]) else { return nil }
        let lengths = run.lengths
        let digits = run.digits(bytes)
        guard (13...19).contains(digits.count) else { return nil }
        let grouped: Bool
        if lengths.count == 1 {
            grouped = true
        } else if lengths == [4, 6, 5] || lengths == [4, 6, 4] {
            grouped = true
        } else {
            grouped = lengths.count >= 3 && lengths.dropLast().allSatisfy { $0 == 4 } && (1...4).contains(lengths.last!)
        }
        guard grouped, luhnIsValid(digits) else { return nil }
        return brand(of: digits)
    }
}
