import WardenCore

/// The attributes of a 2-D convolution, as ONNX `Conv` spells them (the kernel size comes from the weight).
public struct Conv2DOptions: Sendable, Hashable {
    /// `[height, width]` steps between windows.
    public var strides: [Int]
    /// `[top, left, bottom, right]` zero padding (ONNX `pads` order: begins, then ends).
    public var pads: [Int]
    /// `[height, width]` spacing between kernel taps.
    public var dilations: [Int]
    /// Input and output channels split into this many independent groups (depthwise: groups = channels).
    public var groups: Int

    public init(strides: [Int] = [1, 1], pads: [Int] = [0, 0, 0, 0], dilations: [Int] = [1, 1], groups: Int = 1) {
        self.strides = strides
        self.pads = pads
        self.dilations = dilations
        self.groups = groups
    }

    /// Padding that keeps `height × width` at stride 1 (ONNX `auto_pad=SAME_UPPER`: the odd pixel at the end).
    public static func samePadding(kernel: [Int], dilations: [Int] = [1, 1]) -> [Int] {
        let total = zip(kernel, dilations).map { ($0 - 1) * $1 }
        return [total[0] / 2, total[1] / 2, total[0] - total[0] / 2, total[1] - total[1] / 2]
    }

    /// Checks the attribute counts and signs.
    /// - Throws: `.invalidInput` naming the attribute.
    func validate() throws {
        guard strides.count == 2, strides.allSatisfy({ $0 > 0 }) else {
            throw WardenError.invalidInput("Convolution strides \(strides) must be two positive numbers")
        }
        guard pads.count == 4, pads.allSatisfy({ $0 >= 0 }) else {
            throw WardenError.invalidInput("Convolution pads \(pads) must be four non-negative numbers [top, left, bottom, right]")
        }
        guard dilations.count == 2, dilations.allSatisfy({ $0 > 0 }) else {
            throw WardenError.invalidInput("Convolution dilations \(dilations) must be two positive numbers")
        }
        guard groups > 0 else { throw WardenError.invalidInput("Convolution groups \(groups) must be positive") }
    }
}

/// The attributes of 2-D max/average pooling, as ONNX `MaxPool`/`AveragePool` spell them.
public struct Pool2DOptions: Sendable, Hashable {
    /// `[height, width]` of the window.
    public var kernel: [Int]
    /// `[height, width]` steps between windows (ONNX default: 1).
    public var strides: [Int]
    /// `[top, left, bottom, right]` padding (ignored by max, zero-valued for average).
    public var pads: [Int]
    /// `[height, width]` spacing between window taps (max pooling).
    public var dilations: [Int]
    /// Round the output size up rather than down (a window may then start in the end padding only if
    /// it also covers the image, as in PyTorch).
    public var ceilMode: Bool
    /// Average pooling divides by the whole window, padding included (ONNX `count_include_pad=1`).
    public var countIncludePad: Bool

    public init(
        kernel: [Int], strides: [Int] = [1, 1], pads: [Int] = [0, 0, 0, 0], dilations: [Int] = [1, 1],
        ceilMode: Bool = false, countIncludePad: Bool = false
    ) {
        self.kernel = kernel
        self.strides = strides
        self.pads = pads
        self.dilations = dilations
        self.ceilMode = ceilMode
        self.countIncludePad = countIncludePad
    }

    func validate() throws {
        guard kernel.count == 2, kernel.allSatisfy({ $0 > 0 }) else {
            throw WardenError.invalidInput("Pooling kernel \(kernel) must be two positive numbers")
        }
        try Conv2DOptions(strides: strides, pads: pads, dilations: dilations).validate()
        guard pads[0] < kernel[0], pads[1] < kernel[1], pads[2] < kernel[0], pads[3] < kernel[1] else {
            throw WardenError.invalidInput("Pooling pads \(pads) must be smaller than the kernel \(kernel)")
        }
    }
}
