/// Telephone numbers: NANP (area and exchange rules), E.164 with a valid country calling code, and
/// the common national formats of the UK, Germany, France and India.
enum PhoneNumberValidator {
    static let twoDigitCountryCodes: Set<Int> = [
        20, 27, 30, 31, 32, 33, 34, 36, 39, 40, 41, 43, 44, 45, 46, 47, 48, 49, 51, 52, 53, 54, 55, 56, 57, 58,
        60, 61, 62, 63, 64, 65, 66, 81, 82, 84, 86, 90, 91, 92, 93, 94, 95, 98,
    ]
    /// Three-digit prefixes that are not assigned country codes.
    static let unassignedThreeDigit: Set<Int> = [
        210, 214, 215, 217, 219, 259, 280, 281, 282, 283, 284, 285, 286, 287, 288, 289, 292, 293, 294, 295,
        296, 401, 402, 403, 404, 405, 406, 407, 408, 409, 801, 802, 803, 804, 805, 806, 807, 809,
        830, 831, 832, 833, 834, 835, 836, 837, 838, 839, 851, 854, 857, 858, 859, 871, 872, 873, 874, 875,
        876, 877, 878, 879, 884, 885, 887, 889, 890, 891, 892, 893, 894, 895, 896, 897, 898, 899, 969, 978,
        990, 997, 999,
    ]

    static let contextWords = ["phone", "tel", "call", "mobile", "cell", "fax", "ph:", "ph.", "contact", "whatsapp"]

    /// NANP rules for ten digits NPA-NXX-XXXX: area and exchange start with 2–9, neither is N11,
    /// the area's middle digit is not 9 (reserved), and 555-01XX numbers are fictional.
    static func isValidNANP(_ d: ArraySlice<UInt8>) -> Bool {
        guard d.count == 10 else { return false }
        let a = Array(d)
        func n(_ i: Int) -> Int { Int(a[i] - 0x30) }
        guard n(0) >= 2, n(1) != 9, !(n(1) == 1 && n(2) == 1) else { return false }
        guard n(3) >= 2, !(n(4) == 1 && n(5) == 1) else { return false }
        if n(3) == 5 && n(4) == 5 && n(5) == 5 && n(6) == 0 && n(7) == 1 { return false }
        return true
    }

    /// The country calling code at the start of `digits` and its length, or nil.
    static func countryCode(_ digits: [UInt8]) -> (code: Int, length: Int)? {
        func value(_ count: Int) -> Int { digits[0..<count].reduce(0) { $0 * 10 + Int($1 - 0x30) } }
        guard digits.count >= 3 else { return nil }
        let one = value(1)
        if one == 1 || one == 7 { return (one, 1) }
        if one == 0 { return nil }
        let two = value(2)
        if twoDigitCountryCodes.contains(two) { return (two, 2) }
        let three = value(3)
        if unassignedThreeDigit.contains(three) { return nil }
        return (three, 3)
    }

    /// The rule that makes `run` a phone number (`nanp`, `e164`, `fr`, `national`, `in`), or nil.
    static func match(_ run: DigitRun, _ bytes: [UInt8], context: PIIContext) -> String? {
        var digits = run.digits(bytes)
        let lengths = run.lengths
        guard digits.count >= 8 else { return nil }
        if run.plus {
            // "+44 (0)20 …": the trunk zero in parentheses is not dialled internationally.
            var groups = run.groups
            if groups.count > 2, groups[1].parenthesised, bytes[groups[1].digits] == [UInt8(ascii: "0")] {
                groups.remove(at: 1)
                digits = groups.flatMap { bytes[$0.digits] }
            }
            guard (8...15).contains(digits.count), let cc = countryCode(digits) else { return nil }
            let national = digits[cc.length...]
            guard national.first != UInt8(ascii: "0") else { return nil }
            switch cc.code {
            case 1: return isValidNANP(national) ? "nanp" : nil
            case 44: return (9...10).contains(national.count) ? "e164" : nil
            case 49: return (6...13).contains(national.count) ? "e164" : nil
            case 33: return national.count == 9 ? "e164" : nil
            case 91: return national.count == 10 ? "e164" : nil
            default: return (6...13).contains(national.count) ? "e164" : nil
            }
        }
        let seps = run.separators
        // NANP: (415) 555-2671, 415-555-2671, 415.555.2671, 415 555 2671, 1-415-555-2671.
        if lengths == [3, 3, 4] {
            let ok =
                run.groups[0].parenthesised
                ? !run.groups[1].parenthesised && [UInt8(ascii: "-"), UInt8(ascii: " "), UInt8(ascii: ".")].contains(seps[1])
                : !run.hasParenthesis && run.hasUniformSeparators([UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: " ")])
            if ok && isValidNANP(digits[0...]) { return "nanp" }
        }
        if lengths == [1, 3, 3, 4], digits[0] == UInt8(ascii: "1"),
            run.slice(1..<4).hasUniformSeparators([UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: " "), UInt8(ascii: ")")]),
            isValidNANP(digits[1...])
        {
            return "nanp"
        }
        // France: 01 23 45 67 89 (five pairs, trunk 0).
        if lengths == [2, 2, 2, 2, 2], digits[0] == UInt8(ascii: "0"), digits[1] != UInt8(ascii: "0"),
            run.hasUniformSeparators([UInt8(ascii: " "), UInt8(ascii: "."), UInt8(ascii: "-")])
        {
            return "fr"
        }
        // India mobile: 98765 43210.
        if lengths == [5, 5], digits[0] >= UInt8(ascii: "6"), run.hasUniformSeparators([UInt8(ascii: " "), UInt8(ascii: "-")]) {
            return "in"
        }
        // UK / Germany and similar: trunk 0, 10–12 digits in 2–4 groups, those after the area code of
        // 3+ digits and the last of 4+ (020 7946 0958, 030/12345678, 07700 900123, (0151) 23456789).
        // "(0xx) xxx-xxxx" is the North American shape with an impossible area code, not this.
        if digits[0] == UInt8(ascii: "0"), digits[1] != UInt8(ascii: "0"), (10...12).contains(digits.count),
            (2...4).contains(lengths.count), lengths.dropFirst().allSatisfy({ $0 >= 3 }), lengths.last! >= 4,
            (2...6).contains(lengths[0]), !(run.groups[0].parenthesised && lengths == [3, 3, 4]),
            seps.allSatisfy({ $0 != UInt8(ascii: ".") }), !run.groups.dropFirst().contains(where: \.parenthesised)
        {
            return "national"
        }
        // Bare digits only where the field or the words before say it is a phone number.
        if lengths.count == 1 {
            let before = PIIText.lowercasedText(before: run.start, length: 16, in: bytes)
            guard context.suggestsPhone || contextWords.contains(where: { before.contains($0) }) else { return nil }
            if digits.count == 10 && isValidNANP(digits[0...]) { return "nanp" }
            if digits.count == 11 && digits[0] == UInt8(ascii: "1") && isValidNANP(digits[1...]) { return "nanp" }
            if (10...11).contains(digits.count) && digits[0] == UInt8(ascii: "0") && digits[1] != UInt8(ascii: "0") {
                return "national"
            }
        }
        return nil
    }
}
