import Foundation
import WardenKernelsGeneric

/// One convolution's forward pass as per-image GEMMs (see ``Tensor/conv2d(weight:bias:options:relu:)``):
/// the weights packed once into the kernel set's A layout, then `run` over the batch.
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

    init(plan: Conv2DPlan, kernels: KernelSet, weight: UnsafePointer<Float>) {
        self.plan = plan
        // Never run a kernel set the CPU lacks, whatever the caller asked for.
        blocking = (kernels.isSupported ? kernels : .generic).gemm
        padded = PaddedImage(plan.geometry)
        offsets = padded.patchOffsets(plan.geometry)
        perGroup = plan.outputChannels / plan.groups
        paddedRows = (perGroup + blocking.mr - 1) / blocking.mr * blocking.mr
        let k = plan.patchSize
        packedWeights = PackingBufferPool.take(plan.groups * paddedRows * k)
        // Group g, depth block at pc: paddedRows × kc floats at g·paddedRows·K + paddedRows·pc.
        for g in 0..<plan.groups {
            var pc = 0
            while pc < k {
                let kc = Swift.min(blocking.kc, k - pc)
                GEMMPacking.packA(
                    rows: perGroup, depth: kc, a: weight + g * perGroup * k + pc, rowStride: k, columnStride: 1, alpha: 1,
                    mr: blocking.mr, into: packedWeights.pointer + g * paddedRows * k + paddedRows * pc)
                pc += kc
            }
        }
    }

    func release() { PackingBufferPool.give(packedWeights) }

    /// Max pooling applied to each image's output before it leaves the cache (inference): `geometry`
    /// pools one `[M, H', W']` output image.
    struct Pooling: Sendable {
        var geometry: WindowGeometry
        var kernels: KernelSet
        var plane: Int { geometry.outputHeight * geometry.outputWidth }
    }

    /// `y = conv(x) (+ bias) (then ReLU) (then max pooling)` for the whole batch.
    func run(
        x: UnsafePointer<Float>, bias: UnsafePointer<Float>?, relu: Bool, pooling: Pooling? = nil, y: UnsafeMutablePointer<Float>,
        threads: Int
    ) {
        let spatial = plan.spatial
        let flops = 2 * plan.batch * plan.outputChannels * plan.patchSize * spatial
        let workers = flops < GEMM.parallelThreshold ? 1 : Swift.max(1, threads)
        // Fewer images than workers: split each image's columns into nr-aligned parts too (not when
        // pooling, which needs whole images).
        let slivers = (spatial + blocking.nr - 1) / blocking.nr
        let splits = plan.batch >= workers || pooling != nil ? 1 : Swift.min(slivers, (workers + plan.batch - 1) / plan.batch)
        let units = plan.batch * splits
        let parts = Swift.min(workers, units)
        let job = Job(x: x, bias: bias, y: y, relu: relu)
        let imageSize = plan.outputChannels * spatial
        let body: @Sendable (Int) -> Void = { part in
            let first = units * part / parts, last = units * (part + 1) / parts
            let packing = plan.channels * padded.plane + Swift.min(blocking.kc, plan.patchSize) * Swift.min(blocking.nc, slivers * blocking.nr)
            let scratch = PackingBufferPool.take(packing + (pooling == nil ? 0 : imageSize))
            defer { PackingBufferPool.give(scratch) }
            var paddedImage = -1
            for unit in first..<last {
                let image = unit / splits, split = unit % splits
                let c0 = Swift.min(spatial, slivers * split / splits * blocking.nr)
                let c1 = Swift.min(spatial, slivers * (split + 1) / splits * blocking.nr)
                guard c0 < c1 else { continue }
                if image != paddedImage {
                    preparePadded(job.x + image * plan.channels * plan.inputPlane, into: scratch.pointer)
                    paddedImage = image
                }
                guard let pooling else {
                    compute(image: image, columns: c0..<c1, job: job, out: job.y + image * imageSize, scratch: scratch.pointer)
                    continue
                }
                let convolved = scratch.pointer + packing
                compute(image: image, columns: c0..<c1, job: job, out: convolved, scratch: scratch.pointer)
                Tensor.maxPoolPlanes(
                    pooling.geometry, planes: plan.outputChannels, x: convolved, out: job.y + image * plan.outputChannels * pooling.plane,
                    argmax: nil, kernels: pooling.kernels)
            }
        }
        if parts == 1 {
            body(0)
        } else {
            DispatchQueue.concurrentPerform(iterations: parts, execute: body)
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
                        let kc = Swift.min(blocking.kc, k - pc)
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
