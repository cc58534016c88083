import Foundation
import WardenCore
import WardenKernelsGeneric

/// A validated convolution: shapes, per-group geometry and how many images go through one GEMM.
struct Conv2DPlan {
    var batch: Int, channels: Int, outputChannels: Int, groups: Int
    var geometry: WindowGeometry
    /// Rows of the unfolded patch matrix for one group: `(channels / groups) · kh · kw`.
    var patchSize: Int
    var spatial: Int { geometry.outputHeight * geometry.outputWidth }
    var outputShape: [Int] { [batch, outputChannels, geometry.outputHeight, geometry.outputWidth] }
    var inputPlane: Int { geometry.height * geometry.width }
    /// Images per GEMM, so the patch matrix stays near 1 M floats (4 MiB, within the last-level cache
    /// when the GEMM packs it again).
    var imagesPerChunk: Int { Swift.max(1, Swift.min(batch, (1 << 20) / Swift.max(1, patchSize * spatial))) }

    init(input: [Int], weight: [Int], options: Conv2DOptions) throws {
        try options.validate()
        guard input.count == 4, weight.count == 4 else {
            throw WardenError.invalidInput("Conv2D needs a [N, C, H, W] input and a [M, C/groups, kH, kW] weight, got \(input) and \(weight)")
        }
        let groups = options.groups
        guard input[1] % groups == 0, weight[0] % groups == 0, weight[1] * groups == input[1] else {
            throw WardenError.invalidInput("Conv2D weight \(weight) does not fit input \(input) with \(groups) group(s)")
        }
        guard weight[2] > 0, weight[3] > 0 else { throw WardenError.invalidInput("Conv2D kernel \(weight) is empty") }
        let outH = try Self.outputSize(input[2], kernel: weight[2], stride: options.strides[0], padBegin: options.pads[0], padEnd: options.pads[2], dilation: options.dilations[0], ceil: false)
        let outW = try Self.outputSize(input[3], kernel: weight[3], stride: options.strides[1], padBegin: options.pads[1], padEnd: options.pads[3], dilation: options.dilations[1], ceil: false)
        batch = input[0]
        channels = input[1]
        outputChannels = weight[0]
        self.groups = groups
        geometry = WindowGeometry(
            channels: input[1] / groups, height: input[2], width: input[3], kernelHeight: weight[2], kernelWidth: weight[3],
            strideHeight: options.strides[0], strideWidth: options.strides[1], padTop: options.pads[0], padLeft: options.pads[1],
            dilationHeight: options.dilations[0], dilationWidth: options.dilations[1], outputHeight: outH, outputWidth: outW)
        patchSize = weight[1] * weight[2] * weight[3]
        _ = try Tensor<Float>.elementCount(of: outputShape)
    }

    /// `floor` (or `ceil`) of `(size + pads − dilation·(kernel − 1) − 1) / stride + 1`.
    /// - Throws: `.invalidInput` when the window does not fit.
    static func outputSize(_ size: Int, kernel: Int, stride: Int, padBegin: Int, padEnd: Int, dilation: Int, ceil: Bool) throws -> Int {
        let span = dilation * (kernel - 1) + 1
        let room = size + padBegin + padEnd - span
        guard room >= 0 else {
            throw WardenError.invalidInput("A window of \(span) does not fit an input of \(size) with padding \(padBegin)+\(padEnd)")
        }
        var out = (ceil ? (room + stride - 1) / stride : room / stride) + 1
        // A last window that would start in the end padding is dropped (PyTorch's ceil_mode rule).
        if ceil && (out - 1) * stride >= size + padBegin { out -= 1 }
        return out
    }

    /// Unfolds `count` images starting at `first`, for one group, into `col` (`patchSize × count·spatial`).
    /// Images are unfolded on several threads when the patch matrix is large enough to pay for them.
    func unfold(_ x: UnsafePointer<Float>, first: Int, count: Int, group: Int, into col: UnsafeMutablePointer<Float>) {
        let ld = count * spatial
        let geometry = self.geometry
        let (channels, inputPlane, spatial) = (self.channels, self.inputPlane, self.spatial)
        let workers = count * patchSize * spatial < (1 << 16) ? 1 : Swift.min(count, TensorRuntime.threads)
        let job = UnfoldJob(x: x, col: col)
        let body: @Sendable (Int) -> Void = { worker in
            for i in stride(from: worker, to: count, by: workers) {
                let image = job.x + ((first + i) * channels + group * geometry.channels) * inputPlane
                ConvolutionKernels.im2col(geometry, x: image, col: job.col + i * spatial, ldCol: ld)
            }
        }
        if workers == 1 {
            body(0)
        } else {
            Parallel.run(parts: workers, body)
        }
    }

    /// Adds the patch-matrix gradient `col` (columns `i·spatial…` for image `i` of `images`) back into
    /// those images of one group, `dx` pointing at the group's first channel of image `0`.
    func fold(_ col: UnsafePointer<Float>, ldCol: Int, images: Range<Int>, into dx: UnsafeMutablePointer<Float>, offsets: [Int]) {
        let padded = PaddedImage(geometry)
        let direct = padded.isImage(geometry)
        let scratch = direct ? nil : PackingBufferPool.take(geometry.channels * padded.plane)
        defer { if let scratch { PackingBufferPool.give(scratch) } }
        offsets.withUnsafeBufferPointer { offsets in
            for i in images {
                let image = dx + i * channels * inputPlane
                let source = col + i * spatial
                guard let scratch else {
                    ConvolutionKernels.foldPadded(geometry, padded, col: source, ldCol: ldCol, offsets: offsets.baseAddress!, into: image)
                    continue
                }
                scratch.pointer.update(repeating: 0, count: geometry.channels * padded.plane)
                ConvolutionKernels.foldPadded(geometry, padded, col: source, ldCol: ldCol, offsets: offsets.baseAddress!, into: scratch.pointer)
                ConvolutionKernels.unpadAdding(geometry, padded, channels: geometry.channels, padded: scratch.pointer, into: image)
            }
        }
    }

    struct UnfoldJob: @unchecked Sendable {
        // @unchecked: pointers into buffers alive for the call; each worker writes its own columns.
        var x: UnsafePointer<Float>
        var col: UnsafeMutablePointer<Float>
    }
}

extension Tensor where Element == Float {
    /// 2-D convolution (ONNX `Conv`, cross-correlation): input `[N, C, H, W]`, weight
    /// `[M, C/groups, kH, kW]`, optional bias `[M]`; output `[N, M, H', W']`.
    /// - Throws: `.invalidInput` when the shapes or options do not fit.
    public func conv2d(weight: Tensor, bias: Tensor? = nil, options: Conv2DOptions = Conv2DOptions()) throws -> Tensor {
        try conv2d(weight: weight, bias: bias, options: options, relu: false)
    }

    /// ``conv2d(weight:bias:options:)``, optionally followed by ReLU in the same pass (ONNX
    /// `Conv` → `Relu`).
    ///
    /// Each image is one GEMM of the weights (packed once per call) with its patch matrix, which is
    /// packed straight from a zero-padded copy of the image into the micro-kernel's layout (no
    /// im2col buffer); the product lands in the output's `[M, H'·W']` block, seeded with the bias,
    /// and ReLU runs on it while it is in cache. Images (or, for fewer images than threads, column
    /// ranges of one image) are split over threads; every output element is computed the same way
    /// whatever the split, so results do not depend on the thread count.
    /// - Throws: `.invalidInput` when the shapes or options do not fit.
    package func conv2d(weight: Tensor, bias: Tensor?, options: Conv2DOptions, relu: Bool) throws -> Tensor {
        try conv2d(weight: weight, bias: bias, options: options, relu: relu, maxPool: nil)
    }

    /// The output shape of ``conv2d(weight:bias:options:)`` for these input and weight shapes.
    /// - Throws: `.invalidInput` when the shapes or options do not fit.
    package static func conv2dOutputShape(input: [Int], weight: [Int], options: Conv2DOptions) throws -> [Int] {
        try Conv2DPlan(input: input, weight: weight, options: options).outputShape
    }

    /// ``conv2d(weight:bias:options:relu:)`` followed by max pooling (ONNX `Conv` → `Relu` →
    /// `MaxPool`): each image's convolution is pooled while it is still in cache, so the full-size
    /// output is never written. The same values as the three operations one after the other.
    /// - Throws: `.invalidInput` when the shapes or options do not fit.
    /// `cache`, when given, keeps the prepared weights between calls: only for a weight that never changes.
    package func conv2d(
        weight: Tensor, bias: Tensor?, options: Conv2DOptions, relu: Bool, maxPool: Pool2DOptions?, cache: ConvolutionCache? = nil
    ) throws -> Tensor {
        let plan = try Conv2DPlan(input: shape, weight: weight.shape, options: options)
        if let bias, bias.shape != [plan.outputChannels] {
            throw WardenError.invalidInput("Conv2D bias \(bias.shape) must be [\(plan.outputChannels)]")
        }
        let x = contiguous()
        let w = weight.contiguous()
        let b = bias?.contiguous()
        let kernels = TensorRuntime.kernels
        let threads = TensorRuntime.threads
        var pooling: Conv2DForward.Pooling?
        var outputShape = plan.outputShape
        if let maxPool {
            let geometry = try Tensor.poolGeometry(shape: plan.outputShape, maxPool)
            pooling = Conv2DForward.Pooling(geometry: geometry, kernels: kernels)
            outputShape = [plan.batch, plan.outputChannels, geometry.outputHeight, geometry.outputWidth]
        }
        return try Tensor.build(shape: outputShape) { out in
            guard plan.spatial > 0, plan.batch > 0, plan.outputChannels > 0, out.count > 0 else { return }
            let lanes = pooling?.isPairs ?? false
            let entry = cache.map { cache in
                cache.entry(ConvolutionCache.Key(input: shape, weight: weight.shape, kernels: kernels, lanes: lanes)) {
                    Conv2DForward(plan: plan, kernels: kernels, weight: w.pointer, lanes: lanes)
                }
            }
            let forward = entry?.forward ?? Conv2DForward(plan: plan, kernels: kernels, weight: w.pointer, lanes: lanes)
            defer { if entry == nil { forward.release() } }
            withExtendedLifetime(entry) {
                forward.run(
                    x: x.pointer, bias: b.map { UnsafePointer($0.pointer) }, relu: relu, pooling: pooling, y: out.baseAddress!,
                    threads: threads)
            }
        }
    }

    /// The gradients of ``conv2d(weight:bias:options:)`` with respect to its input and weight (each
    /// only when asked for), given the output gradient `gradient`.
    package func conv2dBackward(
        weight: Tensor, gradient: Tensor, options: Conv2DOptions, input wantInput: Bool, weight wantWeight: Bool
    ) throws -> (input: Tensor?, weight: Tensor?) {
        let plan = try Conv2DPlan(input: shape, weight: weight.shape, options: options)
        let x = contiguous()
        let w = weight.contiguous()
        let dy = gradient.contiguous()
        let perGroup = plan.outputChannels / plan.groups
        let spatial = plan.spatial
        let chunk = plan.imagesPerChunk
        let dx = wantInput ? try Tensor(zeros: shape) : nil
        let dw = wantWeight ? try Tensor(zeros: weight.shape) : nil
        guard spatial > 0, plan.batch > 0, perGroup > 0 else { return (dx, dw) }
        let offsets = PaddedImage(plan.geometry).patchOffsets(plan.geometry)
        // Pooled buffers: a fresh multi-megabyte allocation per call was mapped and faulted in again
        // every training step.
        let colBuffer = PackingBufferPool.take(plan.patchSize * chunk * spatial)
        let gatheredBuffer = PackingBufferPool.take(perGroup * chunk * spatial)
        defer {
            PackingBufferPool.give(colBuffer)
            PackingBufferPool.give(gatheredBuffer)
        }
        let (col, gathered) = (colBuffer.pointer, gatheredBuffer.pointer)
        var first = 0
        while first < plan.batch {
            let count = Swift.min(chunk, plan.batch - first)
            let width = count * spatial
            for g in 0..<plan.groups {
                // dY for this group and chunk as a [perGroup, count·spatial] matrix.
                for i in 0..<count {
                    for m in 0..<perGroup {
                        (gathered + (m * count + i) * spatial)
                            .update(from: dy.pointer + ((first + i) * plan.outputChannels + g * perGroup + m) * spatial, count: spatial)
                    }
                }
                if let dw {
                    // dW_g += dY_g · colᵀ
                    plan.unfold(x.pointer, first: first, count: count, group: g, into: col)
                    GEMM.multiply(
                        m: perGroup, n: plan.patchSize, k: width, a: gathered, aRowStride: width, aColumnStride: 1,
                        b: col, bRowStride: 1, bColumnStride: width, beta: 1,
                        c: dw.pointer + g * perGroup * plan.patchSize, ldc: plan.patchSize)
                }
                if let dx {
                    // dCol = W_gᵀ · dY_g, folded back into the images.
                    GEMM.multiply(
                        m: plan.patchSize, n: width, k: perGroup, a: w.pointer + g * perGroup * plan.patchSize, aRowStride: 1,
                        aColumnStride: plan.patchSize, b: gathered, bRowStride: width, bColumnStride: 1, c: col, ldc: width)
                    let images = UncheckedMutablePointer(dx.pointer + (first * plan.channels + g * plan.geometry.channels) * plan.inputPlane)
                    let columns = UncheckedPointer(UnsafePointer(col))
                    let threads = width * plan.patchSize < 1 << 16 ? 1 : TensorRuntime.threads
                    Parallel.forEachRange(count: count, threads: threads) { range in
                        plan.fold(columns.pointer, ldCol: width, images: range, into: images.pointer, offsets: offsets)
                    }
                }
            }
            first += count
        }
        return (dx, dw)
    }
}
