/// Finds the number-shaped PII in a value: IPv4 addresses, payment cards, SSNs and phone numbers,
/// all read from the same ``DigitRun``s. A run that is not PII as a whole is tried again split at its
/// spaces, so `2024-01-15 415-555-2671` still yields the phone number.
enum NumberDetector {
    static func find(in bytes: [UInt8], context: PIIContext, _ found: inout [PIIMatch]) {
        var i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            let startsRun =
                PIIText.isDigit(b)
                || ((b == UInt8(ascii: "+") || b == UInt8(ascii: "(")) && i + 1 < n
                    && (PIIText.isDigit(bytes[i + 1]) || (bytes[i + 1] == UInt8(ascii: "(") && i + 2 < n && PIIText.isDigit(bytes[i + 2]))))
            guard startsRun, PIIText.numberStartsCleanly(bytes, i), let run = DigitRun.read(bytes, at: i) else {
                // Skip the rest of a word or number that did not start cleanly.
                i += 1
                while i < n && PIIText.isDigit(bytes[i]) && PIIText.isDigit(bytes[i - 1]) { i += 1 }
                continue
            }
            i = max(run.end, i + 1)
            guard PIIText.numberEndsCleanly(bytes, run.end) else { continue }
            // The digits of an IBAN-shaped value ("DE12 3456 …") that failed its check are not a phone.
            if run.start >= 5, bytes[run.start - 1] == UInt8(ascii: " "), PIIText.isUpper(bytes[run.start - 5]),
                PIIText.isUpper(bytes[run.start - 4]), PIIText.isDigit(bytes[run.start - 3]), PIIText.isDigit(bytes[run.start - 2]),
                run.start == 5 || !PIIText.isWord(bytes[run.start - 6])
            {
                continue
            }
            if let match = classify(run, bytes, context: context) {
                found.append(match)
                continue
            }
            // A run of dotted groups that is not an address is a version or a date: leave it whole.
            if run.separators.contains(UInt8(ascii: ".")) && !run.separators.contains(UInt8(ascii: " ")) { continue }
            // A card-shaped run that failed the card checks is not a phone number in pieces.
            if PaymentCardValidator.isCardShaped(run) { continue }
            // Otherwise try the pieces between spaces, longest first.
            var cuts = [0]
            for (index, sep) in run.separators.enumerated() where sep == UInt8(ascii: " ") { cuts.append(index + 1) }
            cuts.append(run.groups.count)
            guard cuts.count > 2 else { continue }
            var covered = Set<Int>()
            for width in stride(from: cuts.count - 2, through: 1, by: -1) {
                for a in 0..<(cuts.count - width) {
                    let range = cuts[a]..<cuts[a + width]
                    guard !range.contains(where: covered.contains) else { continue }
                    if let match = classify(run.slice(range), bytes, context: context) {
                        found.append(match)
                        covered.formUnion(range)
                    }
                }
            }
        }
    }

    static func classify(_ run: DigitRun, _ bytes: [UInt8], context: PIIContext) -> PIIMatch? {
        let range = run.start..<run.end
        // A run glued to an identifier by a separator ("ORD-4111…", "…-A") is part of that identifier.
        if IPAddressValidator.ipv4Match(run, bytes) { return PIIMatch(type: .ipv4, range: range, rule: "ipv4") }
        if let brand = PaymentCardValidator.match(run, bytes) { return PIIMatch(type: .creditCard, range: range, rule: brand) }
        if SSNValidator.match(run, bytes, context: context) { return PIIMatch(type: .ssn, range: range, rule: "ssn") }
        if let rule = PhoneNumberValidator.match(run, bytes, context: context) {
            return PIIMatch(type: .phone, range: range, rule: rule)
        }
        return nil
    }
}
