import Testing
import WardenCore

/// Escape digits are read as Python reads them: digits only, no sign, no spaces, no overflow.
struct ScalarDigitsTests {
    @Test(arguments: [
        ("41", UInt32(16), UInt32?.some(0x41)),
        ("00e9", 16, 0xe9),
        ("00E9", 16, 0xe9),
        ("101", 8, 0o101),
        ("7", 8, 7),
        ("8", 8, nil),
        ("", 16, nil),
        ("+f", 16, nil),  // UInt32("+f", radix: 16) accepts the sign; Python's \x does not
        ("-0", 16, nil),
        (" 1", 16, nil),
        ("g", 16, nil),
        ("ffffffff", 16, 0xffff_ffff),
        ("100000000", 16, nil),  // overflows 32 bits
        ("\u{0661}", 10, nil),  // an Arabic-Indic digit is no ASCII digit
    ])
    func digits(text: String, radix: UInt32, expected: UInt32?) {
        #expect(ScalarDigits.value(Array(text.unicodeScalars)[...], radix: radix) == expected, "\(text)")
    }

    @Test(arguments: [
        ([String](), ", ", ""),
        (["a"], ", ", "a"),
        (["a", "b", "c"], ", ", "a, b, c"),
        (["", ""], "-", "-"),
        (["x", "y"], "", "xy"),
    ])
    func concatenation(parts: [String], separator: String, expected: String) {
        #expect(parts.concatenated(separator: separator) == expected)
        #expect(parts.concatenated(separator: separator) == parts.joined(separator: separator))
    }
}
