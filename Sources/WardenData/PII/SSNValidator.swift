/// US Social Security numbers: AAA-GG-SSSS outside the ranges the SSA never issues (area 000, 666
/// and 900–999, group 00, serial 0000) and not one of the numbers published in advertising.
enum SSNValidator {
    /// Numbers that were printed in advertisements or on sample cards and are void.
    static let advertisingNumbers: Set<String> = ["078051120", "219099999", "457555462", "123456789"]

    static func isValid(_ digits: [UInt8]) -> Bool {
        guard digits.count == 9 else { return false }
        func value(_ r: Range<Int>) -> Int { digits[r].reduce(0) { $0 * 10 + Int($1 - 0x30) } }
        let area = value(0..<3), group = value(3..<5), serial = value(5..<9)
        guard area != 0, area != 666, area < 900, group != 0, serial != 0 else { return false }
        return !advertisingNumbers.contains(String(decoding: digits, as: UTF8.self))
    }

    /// An SSN match for a digit run: `123-45-6789` or `123 45 6789`, or nine bare digits when the
    /// field or the text just before names an SSN.
    static func match(_ run: DigitRun, _ bytes: [UInt8], context: PIIContext) -> Bool {
        guard !run.plus, !run.hasParenthesis else { return false }
        let lengths = run.lengths
        if lengths == [3, 2, 4] {
            guard run.hasUniformSeparators([UInt8(ascii: "-"), UInt8(ascii: " ")]) else { return false }
        } else if lengths == [9] {
            let before = PIIText.lowercasedText(before: run.start, length: 24, in: bytes)
            guard context.suggestsSSN || before.contains("ssn") || before.contains("social security") else { return false }
        } else {
            return false
        }
        return isValid(run.digits(bytes))
    }
}
