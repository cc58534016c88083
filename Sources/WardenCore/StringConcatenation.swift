extension Array where Element == String {
    /// The strings joined by `separator`, concatenated in place.
    ///
    /// The standard library's `joined(separator:)` is generic over the sequence; where it is not
    /// specialised it looks up `Sequence`'s associated types at run time, and the first such lookup
    /// walks every protocol-conformance record of the binary (~14 500 in `warden`, a third of a
    /// millisecond). Code on the scanner's per-file path uses this instead.
    public func concatenated(separator: String = "") -> String {
        var text = ""
        for (index, element) in enumerated() {
            if index > 0 { text += separator }
            text += element
        }
        return text
    }
}
