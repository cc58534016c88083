/// The value of a run of digits read straight from Unicode scalars (escape sequences in pickles
/// and chat templates: `\x41`, `\u00e9`, `\101`), without building a `String` for
/// `UInt32(_:radix:)`. Only digits count, as in Python's escapes: no sign, no spaces.
public enum ScalarDigits {
    /// The digits' value in `radix` (2…36), or nil when `digits` is empty, holds a non-digit or
    /// overflows 32 bits.
    public static func value(_ digits: ArraySlice<Unicode.Scalar>, radix: UInt32) -> UInt32? {
        guard !digits.isEmpty, (2...36).contains(radix) else { return nil }
        var value: UInt32 = 0
        for scalar in digits {
            let digit: UInt32
            switch scalar.value {
            case 0x30...0x39: digit = scalar.value - 0x30
            case 0x61...0x7a: digit = scalar.value - 0x61 + 10
            case 0x41...0x5a: digit = scalar.value - 0x41 + 10
            default: return nil
            }
            guard digit < radix else { return nil }
            let (shifted, overflowA) = value.multipliedReportingOverflow(by: radix)
            let (sum, overflowB) = shifted.addingReportingOverflow(digit)
            guard !overflowA, !overflowB else { return nil }
            value = sum
        }
        return value
    }
}
