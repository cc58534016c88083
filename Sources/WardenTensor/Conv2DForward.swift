import Foundation
import WardenKernelsGeneric

/// One convolution's forward pass (see ``Tensor/conv2d(weight:bias:options:relu:)``): for small patches
/// with unit column stride, the kernel set's direct convolution over each padded image (weights laid
/// out once in its channel blocks); otherwise per-image GEMMs (weights packed once into the kernel set's
/// A layout). Then `run` over the batch.
struct Conv2DForward: @unchecked Sendable {
    // @unchecked: the packed weights are written in `init` and only read afterwards; the caller keeps
    // the input, bias and output alive for `run`, and workers write disjoint parts of the output.
    let plan: Conv2DPlan
    let blocking: GEMMBlocking
    let padded: PaddedImage
    let offsets: [Int]
    let perGroup: Int
    /// Rows of one group's packed weights, rounded up to whole `mr` slivers.
    let paddedRows: Int
    let packedWeights: PackingBufferPool.Buffer
    /// The direct kernel when it applies (see `init`), and its channel blocks per group.
    let direct: KernelSet.DirectConvolution?
    let blocksPerGroup: Int
    let channelBlock: Int
    /// The channels-in-lanes kernel and its pooling, when prepared (see `init`), with its weights
    /// (`[group of 16 channels][p][16]`), group count and each output pixel's offset in the padded image.
    let lane: KernelSet.LaneKernels?
    let laneWeights: PackingBufferPool.Buffer?
    let laneGroups: Int
    let pixelOffsets: [Int]
    /// Below this many flops the direct convolution of one image runs on one thread.
    static let directParallelThreshold = 1_000_000

    /// `allowDirect: false` forces the GEMM path (tests compare the two). `lanes` also prepares the
    /// channels-in-lanes kernel where the direct one applies (one group), which `run` takes with 2 × 2
    /// max pooling of stride 2: it computes no overlapping columns on narrow rows, and pools from its
    /// pixel-major output straight into the channel planes.
    init(plan: Conv2DPlan, kernels: KernelSet, weight: UnsafePointer<Float>, allowDirect: Bool = true, lanes: Bool = false) {
        self.plan = plan
        // Never run a kernel set the CPU lacks, whatever the caller asked for.
        blocking = (kernels.isSupported ? kernels : .generic).gemm
        padded = PaddedImage(plan.geometry)
        offsets = padded.patchOffsets(plan.geometry)
        perGroup = plan.outputChannels / plan.groups
        paddedRows = (perGroup + blocking.mr - 1) / blocking.mr * blocking.mr
        let k = plan.patchSize
        // Small patches with unit column stride and rows of at least a vector: the direct kernel, which
        // reads the padded image in place (no patch packing) and blocks output channels in its own
        // block height, not the GEMM tile's. Within one GEMM depth block it computes the same sums.
        let g = plan.geometry
        if allowDirect && g.strideWidth == 1 && g.outputWidth >= 8 && k <= blocking.kc {
            let kernel = (kernels.isSupported ? kernels : .generic).directConvolution
            direct = kernel.kernel
            if lanes && plan.groups == 1 {
                let laneKernels = (kernels.isSupported ? kernels : .generic).laneKernels
                let groups = (plan.outputChannels + 15) / 16
                let buffer = PackingBufferPool.take(groups * k * 16)
                buffer.pointer.update(repeating: 0, count: groups * k * 16)
                for m in 0..<plan.outputChannels {
                    let row = weight + m * k
                    let base = buffer.pointer + (m / 16) * k * 16 + m % 16
                    for p in 0..<k { base[p * 16] = row[p] }
                }
                lane = laneKernels
                laneWeights = buffer
                laneGroups = groups
                var pixelOffsets: [Int] = []
                pixelOffsets.reserveCapacity(plan.spatial)
                for oh in 0..<g.outputHeight {
                    for ow in 0..<g.outputWidth { pixelOffsets.append(oh * g.strideHeight * padded.width + ow) }
                }
                self.pixelOffsets = pixelOffsets
            } else {
                lane = nil
                laneWeights = nil
                laneGroups = 0
                pixelOffsets = []
            }
            blocksPerGroup = (perGroup + kernel.channelBlock - 1) / kernel.channelBlock
            let cb = kernel.channelBlock
            channelBlock = cb
            packedWeights = PackingBufferPool.take(plan.groups * blocksPerGroup * cb * k)
            let packed = packedWeights.pointer
            packed.update(repeating: 0, count: plan.groups * blocksPerGroup * cb * k)
            // [group][block][p][channel in block]
            for group in 0..<plan.groups {
                for m in 0..<perGroup {
                    let row = weight + (group * perGroup + m) * k
                    let base = packed + ((group * blocksPerGroup + m / cb) * k) * cb + m % cb
                    for p in 0..<k { base[p * cb] = row[p] }
                }
            }
            return
        }
        direct = nil
        blocksPerGroup = 0
        channelBlock = 0
        lane = nil
        laneWeights = nil
        laneGroups = 0
        pixelOffsets = []
        packedWeights = PackingBufferPool.take(plan.groups * paddedRows * k)
        // Group g, depth block at pc: paddedRows × kc floats at g·paddedRows·K + paddedRows·pc.
        for g in 0..<plan.groups {
            var pc = 0
            while pc < k {
                let kc = Swift.min(blocking.depthBlock(k), k - pc)
                GEMMPacking.packA(
                    rows: perGroup, depth: kc, a: weight + g * perGroup * k + pc, rowStride: k, columnStride: 1, alpha: 1,
                    mr: blocking.mr, into: packedWeights.pointer + g * paddedRows * k + paddedRows * pc)
                pc += kc
            }
        }
    }

    func release() {
        PackingBufferPool.give(packedWeights)
        if let laneWeights { PackingBufferPool.give(laneWeights) }
    }

    /// Max pooling applied to each image's output before it leaves the cache (inference): `geometry`
    /// pools one `[M, H', W']` output image.
    struct Pooling: Sendable {
        var geometry: WindowGeometry
        var kernels: KernelSet
        var plane: Int { geometry.outputHeight * geometry.outputWidth }
        /// 2 × 2 windows, stride 2, no padding or dilation, inside the image: what the channels-in-lanes
        /// pooling does.
        var isPairs: Bool {
            let g = geometry
            return g.kernelHeight == 2 && g.kernelWidth == 2 && g.strideHeight == 2 && g.strideWidth == 2 && g.padTop == 0
                && g.padLeft == 0 && g.dilationHeight == 1 && g.dilationWidth == 1 && 2 * g.outputHeight <= g.height
                && 2 * g.outputWidth <= g.width
        }
    }

    /// `y = conv(x) (+ bias) (then ReLU) (then max pooling)` for the whole batch.
    func run(
        x: UnsafePointer<Float>, bias: UnsafePointer<Float>?, relu: Bool, pooling: Pooling? = nil, y: UnsafeMutablePointer<Float>,
        threads: Int
    ) {
        let spatial = plan.spatial
        let flops = 2 * plan.batch * plan.outputChannels * plan.patchSize * spatial
        let threshold = direct == nil ? GEMM.parallelThreshold : Self.directParallelThreshold
        let workers = flops < threshold ? 1 : Swift.max(1, threads)
        if let lane, let laneWeights, let pooling, pooling.isPairs {
            runLanes(lane, weights: laneWeights, x: x, bias: bias, relu: relu, pooling: pooling, y: y, workers: workers)
            return
        }
        // Fewer images than workers: split each image too, the direct kernel by channel blocks (pooling
        // works plane by plane, so it can follow), the GEMM by nr-aligned column parts (not when
        // pooling, which needs whole images).
        let slivers = (spatial + blocking.nr - 1) / blocking.nr
        let totalBlocks = plan.groups * blocksPerGroup
        let pieces = direct != nil ? totalBlocks : pooling == nil ? slivers : 1
        let splits = plan.batch >= workers ? 1 : Swift.max(1, Swift.min(pieces, (workers + plan.batch - 1) / plan.batch))
        let units = plan.batch * splits
        let parts = Swift.min(workers, units)
        let job = Job(x: x, bias: bias, y: y, relu: relu)
        let imageSize = plan.outputChannels * spatial
        let body: @Sendable (Int) -> Void = { part in
            let first = units * part / parts, last = units * (part + 1) / parts
            let packing = direct != nil ? plan.channels * padded.plane
                : plan.channels * padded.plane + blocking.depthBlock(plan.patchSize) * Swift.min(blocking.nc, slivers * blocking.nr)
            let scratch = PackingBufferPool.take(packing + (pooling == nil ? 0 : imageSize))
            defer { PackingBufferPool.give(scratch) }
            var paddedImage = -1
            for unit in first..<last {
                let image = unit / splits, split = unit % splits
                if image != paddedImage {
                    preparePadded(job.x + image * plan.channels * plan.inputPlane, into: scratch.pointer)
                    paddedImage = image
                }
                let out = pooling == nil ? job.y + image * imageSize : scratch.pointer + packing
                // Output channels [c0, c1) of this unit (all of them unless the direct kernel splits).
                var (c0, c1) = (0, plan.outputChannels)
                if direct != nil {
                    let b0 = totalBlocks * split / splits, b1 = totalBlocks * (split + 1) / splits
                    guard b0 < b1 else { continue }
                    c0 = channel(ofBlock: b0)
                    c1 = channel(ofBlock: b1)
                    computeDirect(image: image, blocks: b0..<b1, job: job, out: out, scratch: scratch.pointer)
                } else {
                    let s0 = Swift.min(spatial, slivers * split / splits * blocking.nr)
                    let s1 = Swift.min(spatial, slivers * (split + 1) / splits * blocking.nr)
                    guard s0 < s1 else { continue }
                    compute(image: image, columns: s0..<s1, job: job, out: out, scratch: scratch.pointer)
                }
                guard let pooling else { continue }
                Tensor.maxPoolPlanes(
                    pooling.geometry, planes: c1 - c0, x: out + c0 * spatial,
                    out: job.y + (image * plan.outputChannels + c0) * pooling.plane, argmax: nil, kernels: pooling.kernels)
            }
        }
        if parts == 1 {
            body(0)
        } else {
            Parallel.run(parts: parts, body)
        }
    }

    /// `run` through the channels-in-lanes kernel and its pooling; one image's channel groups split over
    /// the workers when there are fewer images than workers.
    func runLanes(
        _ lane: KernelSet.LaneKernels, weights: PackingBufferPool.Buffer, x: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        relu: Bool, pooling: Pooling, y: UnsafeMutablePointer<Float>, workers: Int
    ) {
        let splits = plan.batch >= workers ? 1 : Swift.max(1, Swift.min(laneGroups, (workers + plan.batch - 1) / plan.batch))
        let units = plan.batch * splits
        let parts = Swift.min(workers, units)
        let job = Job(x: x, bias: bias, y: y, relu: relu)
        let weights = UncheckedPointer(UnsafePointer(weights.pointer))
        let g = plan.geometry, k = plan.patchSize, spatial = plan.spatial
        let lanes = laneGroups * 16
        let paddedSize = padded.isImage(g) ? 0 : plan.channels * padded.plane
        let body: @Sendable (Int) -> Void = { part in
            let first = units * part / parts, last = units * (part + 1) / parts
            // Padded image, pixel-major convolution output, pooled output and the bias in 16-channel groups.
            let scratch = PackingBufferPool.take(paddedSize + spatial * lanes + pooling.plane * lanes + lanes)
            defer { PackingBufferPool.give(scratch) }
            let convolved = scratch.pointer + paddedSize
            let pooled = convolved + spatial * lanes
            let laneBias = pooled + pooling.plane * lanes
            if let bias = job.bias {
                laneBias.update(repeating: 0, count: lanes)
                laneBias.update(from: bias, count: plan.outputChannels)
            }
            var paddedImage = -1
            for unit in first..<last {
                let image = unit / splits, split = unit % splits
                let g0 = laneGroups * split / splits, g1 = laneGroups * (split + 1) / splits
                guard g0 < g1 else { continue }
                let source = padded.isImage(g) ? job.x + image * plan.channels * plan.inputPlane : UnsafePointer(scratch.pointer)
                if image != paddedImage {
                    preparePadded(job.x + image * plan.channels * plan.inputPlane, into: scratch.pointer)
                    paddedImage = image
                }
                let ld = (g1 - g0) * 16
                let c0 = g0 * 16, c1 = Swift.min(plan.outputChannels, g1 * 16)
                offsets.withUnsafeBufferPointer { offsets in
                    pixelOffsets.withUnsafeBufferPointer { pixels in
                        lane.convolution(
                            spatial, pixels.baseAddress!, k, offsets.baseAddress!, source, weights.pointer, g0..<g1,
                            job.bias == nil ? nil : UnsafePointer(laneBias), job.relu, convolved, ld)
                    }
                }
                let p = pooling.geometry
                lane.pool2x2(
                    p.width, p.outputHeight, p.outputWidth, ld, c1 - c0, convolved, ld, pooled,
                    job.y + (image * plan.outputChannels + c0) * pooling.plane)
            }
        }
        Parallel.run(parts: parts, body)
    }

    /// The first output channel of flat channel block `block` (blocks run group by group; `totalBlocks`
    /// maps to `outputChannels`).
    func channel(ofBlock block: Int) -> Int {
        let group = block / blocksPerGroup, local = block % blocksPerGroup
        return group * perGroup + Swift.min(perGroup, local * channelBlock)
    }

    /// Flat channel blocks `blocks` (see ``channel(ofBlock:)``) of one image through the direct kernel,
    /// reading the padded image at the start of `scratch` (or the image itself when it needs no padding).
    func computeDirect(image: Int, blocks: Range<Int>, job: Job, out: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        guard let direct else { return }
        let g = plan.geometry, k = plan.patchSize, spatial = plan.spatial
        let source = padded.isImage(g) ? job.x + image * plan.channels * plan.inputPlane : UnsafePointer(scratch)
        offsets.withUnsafeBufferPointer { offsets in
            for group in blocks.lowerBound / blocksPerGroup...(blocks.upperBound - 1) / blocksPerGroup {
                let local = Swift.max(blocks.lowerBound, group * blocksPerGroup) - group * blocksPerGroup
                let end = Swift.min(blocks.upperBound, (group + 1) * blocksPerGroup) - group * blocksPerGroup
                direct(
                    perGroup, g.outputHeight, g.outputWidth, g.strideHeight * padded.width, k, offsets.baseAddress!,
                    source + group * g.channels * padded.plane, packedWeights.pointer + group * blocksPerGroup * channelBlock * k,
                    job.bias.map { $0 + group * perGroup }, job.relu, local..<end, out + group * perGroup * spatial)
            }
        }
    }

    struct Job: @unchecked Sendable {
        // @unchecked: pointers the caller keeps alive for the call; workers write disjoint outputs.
        var x: UnsafePointer<Float>
        var bias: UnsafePointer<Float>?
        var y: UnsafeMutablePointer<Float>
        var relu: Bool
    }

    /// The padded copy of one image at the start of `scratch` (all channels).
    func preparePadded(_ image: UnsafePointer<Float>, into scratch: UnsafeMutablePointer<Float>) {
        if padded.isImage(plan.geometry) { return }
        ConvolutionKernels.pad(plan.geometry, padded, channels: plan.channels, x: image, into: scratch)
    }

    /// Columns `columns` of one image's `[M, H'·W']` output, written to `out`.
    func compute(image: Int, columns: Range<Int>, job: Job, out: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        let spatial = plan.spatial, k = plan.patchSize
        let direct = padded.isImage(plan.geometry)
        let source = direct ? job.x + image * plan.channels * plan.inputPlane : UnsafePointer(scratch)
        let packedB = scratch + plan.channels * padded.plane
        let (mr, nr) = (blocking.mr, blocking.nr)
        offsets.withUnsafeBufferPointer { offsets in
            for g in 0..<plan.groups {
                let groupImage = source + g * plan.geometry.channels * padded.plane
                let c = out + g * perGroup * spatial
                let bias = job.bias.map { $0 + g * perGroup }
                var jc = columns.lowerBound
                while jc < columns.upperBound {
                    let nc = Swift.min(blocking.nc, columns.upperBound - jc)
                    var pc = 0
                    while pc < k {
                        let kc = Swift.min(blocking.depthBlock(k), k - pc)
                        ConvolutionKernels.packPaddedPatches(
                            plan.geometry, padded, padded: groupImage, offsets: offsets.baseAddress!, rowStart: pc, depth: kc, columnStart: jc,
                            columns: nc, nr: nr, into: packedB)
                        let a = packedWeights.pointer + g * paddedRows * k + paddedRows * pc
                        var ic = 0
                        while ic < perGroup {
                            let mc = Swift.min(blocking.mc, perGroup - ic)
                            // The bias joins the first depth block's sums (C = A·B + bias), as seeding C with it would.
                            blocking.macroKernel(
                                mc, nc, kc, a + ic / mr * mr * kc, packedB, c + ic * spatial + jc, spatial, pc > 0,
                                job.relu && pc + kc == k, pc == 0 ? bias.map { $0 + ic } : nil)
                            ic += mc
                        }
                        pc += kc
                    }
                    jc += nc
                }
            }
        }
    }
}
