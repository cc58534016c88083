import WardenCore
import WardenFormats
import WardenTensor

/// The architecture `warden train --model` names, parsed:
///
/// - `mlp:H1,H2,…` — dense layers of H units, each followed by ReLU; `mlp:` alone is a softmax regression.
/// - `cnn:CxHxW:L1,L2,…` — images of C channels, H × W pixels (the feature columns, in C-H-W order), then:
///   `conv<F>k<K>[s<S>][p<P>]` (F filters of K × K, stride S = 1, padding P = K/2, then ReLU),
///   `pool<K>` (K × K max pooling, stride K), `avgpool<K>`, `gap` (global average pooling),
///   `dense<N>` (N units and ReLU; the image is flattened before the first).
/// - In both: `bn` right after a conv or dense layer adds batch normalisation before its ReLU, and
///   `dropout<P>` (P in 0..<1) adds dropout.
///
/// A final dense layer with one output per class is always added. Example: `cnn:1x8x8:conv16k3,bn,pool2,dense64,dropout0.2`.
public struct ModelSpec: Sendable, CustomStringConvertible {
    enum Item: Sendable, Equatable {
        case dense(Int)
        case conv(filters: Int, kernel: Int, stride: Int, pad: Int)
        case maxPool(Int)
        case averagePool(Int)
        case globalAveragePool
        case batchNorm
        case dropout(Float)
    }

    public let description: String
    /// `[C, H, W]` for a CNN, `nil` for an MLP (its width is the number of feature columns).
    public let imageShape: [Int]?
    let items: [Item]

    /// Parses a specification.
    /// - Throws: `.invalidInput` naming the part that is not understood.
    public init(parsing text: String) throws {
        description = text
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        func bad(_ what: String) -> WardenError {
            .invalidInput("Model '\(text)': \(what); expected mlp:128,64 or cnn:1x8x8:conv16k3,pool2,dense64")
        }
        var tokens: [String]
        switch parts.first {
        case "mlp":
            guard parts.count == 2 else { throw bad("an MLP is mlp:H1,H2,…") }
            imageShape = nil
            tokens = parts[1].split(separator: ",").map(String.init)
        case "cnn":
            guard parts.count == 3 else { throw bad("a CNN is cnn:CxHxW:layers") }
            let dims = parts[1].split(separator: "x").map { Int($0) }
            guard dims.count == 3, let c = dims[0], let h = dims[1], let w = dims[2], c > 0, h > 0, w > 0, c * h * w <= 1 << 24 else {
                throw bad("'\(parts[1])' is not an image shape CxHxW of positive sizes")
            }
            imageShape = [c, h, w]
            tokens = parts[2].split(separator: ",").map(String.init)
        default:
            throw bad("it must start with mlp: or cnn:")
        }
        var items: [Item] = []
        for raw in tokens {
            let token = raw.trimmingCharacters()
            if imageShape == nil, let units = Int(token) {
                guard units > 0, units <= 1 << 16 else { throw bad("layer size \(units) must be in 1…65536") }
                items.append(.dense(units))
            } else if let units = Self.number(after: "dense", in: token) {
                guard units > 0, units <= 1 << 16 else { throw bad("layer size \(units) must be in 1…65536") }
                items.append(.dense(units))
            } else if token == "bn" {
                guard let last = items.last, Self.isWeighted(last) else { throw bad("'bn' must follow a conv or dense layer") }
                items.append(.batchNorm)
            } else if token.hasPrefix("dropout"), let rate = Float(token.dropFirst(7)) {
                guard rate >= 0, rate < 1 else { throw bad("dropout rate \(rate) must be in 0..<1") }
                items.append(.dropout(rate))
            } else if imageShape != nil, let conv = Self.convolution(token) {
                guard conv.filters > 0, conv.filters <= 4096, conv.kernel > 0, conv.kernel <= 15, conv.stride > 0, conv.pad >= 0, conv.pad < conv.kernel else {
                    throw bad("'\(token)' needs 1–4096 filters, a kernel of 1–15, a positive stride and padding below the kernel")
                }
                items.append(.conv(filters: conv.filters, kernel: conv.kernel, stride: conv.stride, pad: conv.pad))
            } else if imageShape != nil, let size = Self.number(after: "avgpool", in: token) {
                guard size > 0 else { throw bad("'\(token)' needs a positive window") }
                items.append(.averagePool(size))
            } else if imageShape != nil, let size = Self.number(after: "pool", in: token) {
                guard size > 0 else { throw bad("'\(token)' needs a positive window") }
                items.append(.maxPool(size))
            } else if imageShape != nil, token == "gap" {
                items.append(.globalAveragePool)
            } else {
                throw bad("'\(token)' is not a layer")
            }
        }
        self.items = items
    }

    static func isWeighted(_ item: Item) -> Bool {
        switch item {
        case .dense, .conv: true
        default: false
        }
    }

    static func number(after prefix: String, in token: String) -> Int? {
        guard token.hasPrefix(prefix) else { return nil }
        return Int(token.dropFirst(prefix.count))
    }

    /// `conv<F>k<K>[s<S>][p<P>]`.
    static func convolution(_ token: String) -> (filters: Int, kernel: Int, stride: Int, pad: Int)? {
        guard token.hasPrefix("conv") else { return nil }
        var values: [Character: Int] = [:]
        var key: Character = "f"
        var digits = ""
        for character in token.dropFirst(4) {
            if character.isNumber {
                digits.append(character)
            } else {
                guard values[key] == nil, let value = Int(digits), "ksp".contains(character) else { return nil }
                values[key] = value
                key = character
                digits = ""
            }
        }
        guard values[key] == nil, let last = Int(digits) else { return nil }
        values[key] = last
        guard let filters = values["f"], let kernel = values["k"] else { return nil }
        return (filters, kernel, values["s"] ?? 1, values["p"] ?? kernel / 2)
    }

    /// The model for `features` input columns and `classes` outputs, with weights drawn from `generator`.
    /// - Returns: the layers and the input shape of one example (`[features]` or `[C, H, W]`).
    /// - Throws: `.invalidInput` when the image shape does not match the features, or a layer shrinks
    ///   the image to nothing.
    public func build(features: Int, classes: Int, generator: inout SeededRandomGenerator) throws -> (model: Sequential, inputShape: [Int]) {
        guard classes >= 2 else { throw WardenError.invalidInput("Training needs at least two classes, the data has \(classes)") }
        var layers: [any Layer] = []
        var shape = imageShape ?? [features]
        if let imageShape {
            guard imageShape.reduce(1, *) == features else {
                throw WardenError.invalidInput("Model '\(description)' takes \(imageShape.map(String.init).joined(separator: "×")) = \(imageShape.reduce(1, *)) values per example; the data has \(features) feature columns")
            }
        }
        var counts: [String: Int] = [:]
        func name(_ kind: String) -> String {
            defer { counts[kind, default: 0] += 1 }
            return "\(kind)\(counts[kind, default: 0])"
        }
        func flatten() {
            if shape.count == 3 {
                layers.append(Flatten())
                shape = [shape.reduce(1, *)]
            }
        }
        func window(_ size: Int, kernel: Int, stride: Int, pad: Int, token: String) throws -> Int {
            let out = (size + 2 * pad - kernel) / stride + 1
            guard size + 2 * pad >= kernel, out > 0 else {
                throw WardenError.invalidInput("Model '\(description)': \(token) does not fit a \(shape[1])×\(shape[2]) image")
            }
            return out
        }
        for (index, item) in items.enumerated() {
            let followedByNorm = index + 1 < items.count && items[index + 1] == .batchNorm
            switch item {
            case .dense(let units):
                flatten()
                layers.append(try Dense(inputs: shape[0], outputs: units, name: name("dense"), generator: &generator))
                shape = [units]
                if followedByNorm { layers.append(try BatchNorm(channels: units, name: name("batchnorm"))) }
                layers.append(ReLU())
            case .conv(let filters, let kernel, let stride, let pad):
                let h = try window(shape[1], kernel: kernel, stride: stride, pad: pad, token: "conv\(filters)k\(kernel)")
                let w = try window(shape[2], kernel: kernel, stride: stride, pad: pad, token: "conv\(filters)k\(kernel)")
                layers.append(try Conv2D(
                    inputChannels: shape[0], outputChannels: filters, kernel: [kernel, kernel],
                    options: Conv2DOptions(strides: [stride, stride], pads: [pad, pad, pad, pad]), name: name("conv"), generator: &generator))
                shape = [filters, h, w]
                if followedByNorm { layers.append(try BatchNorm(channels: filters, name: name("batchnorm"))) }
                layers.append(ReLU())
            case .maxPool(let size), .averagePool(let size):
                let h = try window(shape[1], kernel: size, stride: size, pad: 0, token: "pool\(size)")
                let w = try window(shape[2], kernel: size, stride: size, pad: 0, token: "pool\(size)")
                let options = Pool2DOptions(kernel: [size, size], strides: [size, size])
                if case .maxPool = item { layers.append(MaxPool2D(options)) } else { layers.append(AveragePool2D(options)) }
                shape = [shape[0], h, w]
            case .globalAveragePool:
                layers.append(GlobalAveragePool2D())
                shape = [shape[0], 1, 1]
            case .batchNorm:
                continue
            case .dropout(let rate):
                layers.append(try Dropout(rate: rate))
            }
        }
        flatten()
        layers.append(try Dense(inputs: shape[0], outputs: classes, name: name("dense"), generator: &generator))
        return (Sequential(layers), imageShape ?? [features])
    }
}
