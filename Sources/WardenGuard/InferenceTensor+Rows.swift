extension InferenceTensor {
    /// The values as Float (booleans as 0/1).
    public var floats: [Float] {
        switch values {
        case .float(let v): v
        case .int64(let v): v.map { Float($0) }
        case .int32(let v): v.map { Float($0) }
        case .uint8(let v): v.map { Float($0) }
        case .bool(let v): v.map { $0 ? 1 : 0 }
        }
    }

    /// The tensor split along its first dimension into `rows` flattened rows (one row holding
    /// everything when the first dimension is not `rows`).
    public func rows(_ rows: Int) -> [[Float]] {
        let all = floats
        guard rows > 1, shape.first == rows, all.count % rows == 0 else { return [all] }
        let width = all.count / rows
        return (0..<rows).map { Array(all[($0 * width)..<(($0 + 1) * width)]) }
    }
}
