import Testing
import WardenData

/// Table-driven detector cases: true PII in the formats people write it, and look-alikes that must
/// be left alone.
struct PIIDetectorTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var id: String
        var input: String
        var field: String? = nil
        /// (type, exact matched text); empty for a decoy.
        var expected: [(PIIType, String)]

        var testDescription: String { id }
    }

    static let jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
    static let ghp = "ghp_" + String(repeating: "aB3d", count: 9)
    static let google = "AIza" + "SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q"

    static let positives: [Case] = [
        Case(id: "email", input: "mail john.doe+tag@example.co.uk now", expected: [(.email, "john.doe+tag@example.co.uk")]),
        Case(id: "email upper", input: "JANE@EXAMPLE.ORG.", expected: [(.email, "JANE@EXAMPLE.ORG")]),
        Case(id: "shortest email", input: "a@b.io", expected: [(.email, "a@b.io")]),
        Case(id: "nanp parens", input: "call (415) 555-2671", expected: [(.phone, "(415) 555-2671")]),
        Case(id: "nanp dashes", input: "415-555-2671", expected: [(.phone, "415-555-2671")]),
        Case(id: "nanp dots", input: "415.555.2671", expected: [(.phone, "415.555.2671")]),
        Case(id: "nanp +1", input: "+1 415 555 2671", expected: [(.phone, "+1 415 555 2671")]),
        Case(id: "nanp 1-", input: "1-415-555-2671", expected: [(.phone, "1-415-555-2671")]),
        Case(id: "uk e164", input: "+44 20 7946 0958", expected: [(.phone, "+44 20 7946 0958")]),
        Case(id: "uk trunk in parens", input: "+44 (0)20 7946 0958", expected: [(.phone, "+44 (0)20 7946 0958")]),
        Case(id: "uk national", input: "020 7946 0958", expected: [(.phone, "020 7946 0958")]),
        Case(id: "uk mobile", input: "07700 900123", expected: [(.phone, "07700 900123")]),
        Case(id: "de e164", input: "+49 30 12345678", expected: [(.phone, "+49 30 12345678")]),
        Case(id: "de national slash", input: "Tel. 030/12345678", expected: [(.phone, "030/12345678")]),
        Case(id: "fr e164", input: "+33 1 23 45 67 89", expected: [(.phone, "+33 1 23 45 67 89")]),
        Case(id: "fr national", input: "01 23 45 67 89", expected: [(.phone, "01 23 45 67 89")]),
        Case(id: "in e164", input: "+91 98765 43210", expected: [(.phone, "+91 98765 43210")]),
        Case(id: "in national", input: "98765 43210", expected: [(.phone, "98765 43210")]),
        Case(id: "bare phone in phone column", input: "4155552671", field: "phone", expected: [(.phone, "4155552671")]),
        Case(id: "ssn", input: "SSN 536-22-1234", expected: [(.ssn, "536-22-1234")]),
        Case(id: "ssn spaces", input: "536 22 1234", expected: [(.ssn, "536 22 1234")]),
        Case(id: "bare ssn in ssn column", input: "536221234", field: "ssn", expected: [(.ssn, "536221234")]),
        Case(id: "visa spaced", input: "card 4111 1111 1111 1111 exp", expected: [(.creditCard, "4111 1111 1111 1111")]),
        Case(id: "mastercard bare", input: "5555555555554444", expected: [(.creditCard, "5555555555554444")]),
        Case(id: "mastercard 2-series", input: "2223003122003222", expected: [(.creditCard, "2223003122003222")]),
        Case(id: "amex 4-6-5", input: "3782 822463 10005", expected: [(.creditCard, "3782 822463 10005")]),
        Case(id: "discover dashes", input: "6011-1111-1111-1117", expected: [(.creditCard, "6011-1111-1111-1117")]),
        Case(id: "jcb", input: "3530111333300000", expected: [(.creditCard, "3530111333300000")]),
        Case(id: "diners 14", input: "30569309025904", expected: [(.creditCard, "30569309025904")]),
        Case(id: "iban de grouped", input: "IBAN DE89 3704 0044 0532 0130 00.", expected: [(.iban, "DE89 3704 0044 0532 0130 00")]),
        Case(id: "iban gb", input: "GB82WEST12345698765432", expected: [(.iban, "GB82WEST12345698765432")]),
        Case(id: "iban fr", input: "FR1420041010050500013M02606", expected: [(.iban, "FR1420041010050500013M02606")]),
        Case(id: "ipv4", input: "from 192.168.1.20:8080", expected: [(.ipv4, "192.168.1.20")]),
        Case(id: "ipv4 end of sentence", input: "server is 10.0.0.1.", expected: [(.ipv4, "10.0.0.1")]),
        Case(id: "ipv6 compressed", input: "addr 2001:db8::1 up", expected: [(.ipv6, "2001:db8::1")]),
        Case(id: "ipv6 link local", input: "fe80::1ff:fe23:4567:890a", expected: [(.ipv6, "fe80::1ff:fe23:4567:890a")]),
        Case(id: "ipv6 full", input: "2001:0db8:85a3:0000:0000:8a2e:0370:7334", expected: [(.ipv6, "2001:0db8:85a3:0000:0000:8a2e:0370:7334")]),
        Case(id: "ipv6 mapped ipv4", input: "::ffff:192.0.2.128", expected: [(.ipv6, "::ffff:192.0.2.128")]),
        Case(id: "aws access key", input: "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE", expected: [(.secret, "AKIAIOSFODNN7EXAMPLE")]),
        Case(id: "aws secret key", input: "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", expected: [(.secret, "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")]),
        Case(id: "github token", input: "token: \(ghp)", expected: [(.secret, ghp)]),
        Case(id: "slack", input: "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", expected: [(.secret, "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx")]),
        Case(id: "stripe", input: "sk_live_4eC39HqLyjWDarjtT1zdp7dc", expected: [(.secret, "sk_live_4eC39HqLyjWDarjtT1zdp7dc")]),
        Case(id: "google", input: "key=\(google)", expected: [(.secret, google)]),
        Case(id: "openai project", input: "OPENAI_API_KEY=sk-proj-abc123DEF456ghi789JKL012mno345PQR678", expected: [(.secret, "sk-proj-abc123DEF456ghi789JKL012mno345PQR678")]),
        Case(id: "jwt", input: "Bearer \(jwt)", expected: [(.secret, jwt)]),
        Case(id: "pem", input: "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----", expected: [(.secret, "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----")]),
        Case(id: "high entropy token", input: "token Xk9pQ2mZ7rT4vB8nL1sW3yH6", expected: [(.secret, "Xk9pQ2mZ7rT4vB8nL1sW3yH6")]),
        Case(id: "hex key in key column", input: "9f86d081884c7d659a2feaa0c55ad015", field: "api_key", expected: [(.secret, "9f86d081884c7d659a2feaa0c55ad015")]),
        Case(id: "several in one value", input: "a@b.io, 415-555-2671", expected: [(.email, "a@b.io"), (.phone, "415-555-2671")]),
    ]

    static let decoys: [Case] = [
        Case(id: "invalid luhn", input: "4111 1111 1111 1112", expected: []),
        Case(id: "unknown issuer", input: "9999 9999 9999 9995", expected: []),
        Case(id: "order number", input: "ORD-4532015112830366", expected: []),
        Case(id: "order hash", input: "Order #4111111111111111", expected: []),
        Case(id: "ssn area 666", input: "666-12-3456", expected: []),
        Case(id: "ssn area 000", input: "000-12-3456", expected: []),
        Case(id: "ssn area 9xx", input: "912-34-5678", expected: []),
        Case(id: "ssn group 00", input: "123-00-4567", expected: []),
        Case(id: "ssn serial 0000", input: "123-45-0000", expected: []),
        Case(id: "ssn advertising", input: "078-05-1120", expected: []),
        Case(id: "bare nine digits", input: "536221234", expected: []),
        Case(id: "nanp area starts with 1", input: "123-456-7890", expected: []),
        Case(id: "nanp exchange starts with 1", input: "415-155-2671", expected: []),
        Case(id: "nanp fictional 555-01xx", input: "415-555-0123", expected: []),
        Case(id: "bare ten digits", input: "4155552671", expected: []),
        Case(id: "date iso", input: "2024-01-15", expected: []),
        Case(id: "date european", input: "15.01.2024", expected: []),
        Case(id: "date us", input: "01/15/2024", expected: []),
        Case(id: "timestamp", input: "2024-01-15T10:30:45Z", expected: []),
        Case(id: "time", input: "12:30:45", expected: []),
        Case(id: "epoch ms", input: "1705314600123", expected: []),
        Case(id: "version v", input: "v1.2.3", expected: []),
        Case(id: "version five parts", input: "1.2.3.4.5", expected: []),
        Case(id: "version word", input: "version 1.2.3.4", expected: []),
        Case(id: "windows build", input: "10.0.19041.1", expected: []),
        Case(id: "octet too big", input: "256.1.1.1", expected: []),
        Case(id: "leading zeros", input: "01.02.03.04", expected: []),
        Case(id: "mac address", input: "00:1A:2B:3C:4D:5E", expected: []),
        Case(id: "cpp scope", input: "std::vector<int>", expected: []),
        Case(id: "uuid", input: "550e8400-e29b-41d4-a716-446655440000", expected: []),
        Case(id: "sha256", input: "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", expected: []),
        Case(id: "git commit", input: "commit 9fceb02d0ae598e95dc970b74767f19372d61af8", expected: []),
        Case(id: "hex in a digest column", input: "9f86d081884c7d659a2feaa0c55ad015", field: "md5", expected: []),
        Case(id: "camelCase", input: "getUserAccountSettingsById", expected: []),
        Case(id: "snake_case", input: "ProductCategory_Electronics_2024", expected: []),
        Case(id: "path", input: "/usr/local/lib/python3.11/site-packages", expected: []),
        Case(id: "not a key", input: "sk-this-is-not-a-key-at-all-really-no", expected: []),
        Case(id: "localhost mail", input: "user@localhost", expected: []),
        Case(id: "retina image", input: "icon@2x.png", expected: []),
        Case(id: "npm version", input: "lodash@4.17.21", expected: []),
        Case(id: "invalid iban", input: "DE89 3704 0044 0532 0130 01", expected: []),
        Case(id: "product code", input: "PN-415-555-2671", expected: []),
        Case(id: "amount", input: "$1,234,567.89", expected: []),
    ]

    func check(_ c: Case) {
        let matches = PIIDetector().matches(in: c.input, context: PIIContext(field: c.field))
        let bytes = Array(c.input.utf8)
        let found = matches.map { ($0.type, String(decoding: bytes[$0.range], as: UTF8.self)) }
        #expect(found.map(\.0) == c.expected.map(\.0), "\(c.id): \(found)")
        #expect(found.map(\.1) == c.expected.map(\.1), "\(c.id): \(found)")
    }

    @Test(arguments: positives) func findsPII(_ c: Case) { check(c) }

    @Test(arguments: decoys) func leavesLookAlikesAlone(_ c: Case) { check(c) }

    @Test func typesCanBeRestricted() {
        let detector = PIIDetector(types: [.email])
        #expect(detector.matches(in: "a@b.io 415-555-2671").map(\.type) == [.email])
    }
}
