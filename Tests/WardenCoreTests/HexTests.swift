import Testing
import WardenCore

struct HexTests {
    @Test func roundTrip() {
        let bytes: [UInt8] = [0x00, 0x01, 0xab, 0xff]
        #expect(Hex.encode(bytes) == "0001abff")
        #expect(Hex.decode("0001ABff") == bytes)
    }

    @Test(arguments: ["0", "zz", "0g"])
    func rejectsMalformed(_ text: String) {
        #expect(Hex.decode(text) == nil)
    }

    @Test func digestParsing() throws {
        let hex = String(repeating: "ab", count: 32)
        let digest = try Digest(parsing: "sha256:" + hex)
        #expect(digest.description == "sha256:" + hex)
        #expect(throws: WardenError.invalidInput("")) { try Digest(parsing: "sha256:abc") }
    }
}
