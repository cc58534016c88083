/// International Bank Account Numbers: a known country, that country's length, and the ISO 7064
/// mod-97 check (the remainder of the rearranged number is 1). Printed groups of four separated by
/// single spaces are accepted; letters must be upper case.
enum IBANValidator {
    /// IBAN lengths by country (SWIFT IBAN registry).
    static let lengths: [String: Int] = [
        "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27,
        "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28,
        "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
        "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27,
        "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25,
        "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18,
        "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33,
        "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
        "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
    ]

    static func isIBANByte(_ b: UInt8) -> Bool { PIIText.isDigit(b) || PIIText.isUpper(b) }

    static func find(in bytes: [UInt8], _ found: inout [PIIMatch]) {
        let n = bytes.count
        var i = 0
        while i + 15 <= n {
            guard PIIText.isUpper(bytes[i]), PIIText.isUpper(bytes[i + 1]), PIIText.isDigit(bytes[i + 2]),
                PIIText.isDigit(bytes[i + 3]), PIIText.tokenStartsCleanly(bytes, i),
                let length = lengths[String(decoding: bytes[i..<i + 2], as: UTF8.self)]
            else {
                i += 1
                continue
            }
            // Gather `length` characters, allowing one space after every fourth.
            var chars: [UInt8] = []
            var j = i
            while j < n && chars.count < length {
                if isIBANByte(bytes[j]) {
                    chars.append(bytes[j])
                    j += 1
                } else if bytes[j] == UInt8(ascii: " ") && chars.count % 4 == 0 && chars.count > 0 && j + 1 < n
                    && isIBANByte(bytes[j + 1])
                {
                    j += 1
                } else {
                    break
                }
            }
            if chars.count == length, PIIText.tokenEndsCleanly(bytes, j), isValid(chars) {
                found.append(PIIMatch(type: .iban, range: i..<j, rule: "iban"))
                i = j
            } else {
                i += 1
            }
        }
    }

    /// The mod-97 check over an IBAN without spaces (upper-case letters and digits).
    static func isValid(_ chars: [UInt8]) -> Bool {
        guard chars.count >= 15 else { return false }
        let rearranged = chars[4...] + chars[0..<4]
        var remainder = 0
        for c in rearranged {
            if PIIText.isDigit(c) {
                remainder = (remainder * 10 + Int(c - 0x30)) % 97
            } else if PIIText.isUpper(c) {
                remainder = (remainder * 100 + Int(c - 0x41 + 10)) % 97
            } else {
                return false
            }
        }
        return remainder == 1
    }
}
