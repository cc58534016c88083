/// The geometry of a 2-D sliding window (convolution or pooling) over one `channels × height × width`
/// image: kernel, strides, leading pads, dilations and the output size.
package struct WindowGeometry: Sendable, Equatable {
    package var channels: Int
    package var height: Int
    package var width: Int
    package var kernelHeight: Int
    package var kernelWidth: Int
    package var strideHeight: Int
    package var strideWidth: Int
    package var padTop: Int
    package var padLeft: Int
    package var dilationHeight: Int
    package var dilationWidth: Int
    package var outputHeight: Int
    package var outputWidth: Int

    package init(
        channels: Int, height: Int, width: Int, kernelHeight: Int, kernelWidth: Int, strideHeight: Int,
        strideWidth: Int, padTop: Int, padLeft: Int, dilationHeight: Int, dilationWidth: Int, outputHeight: Int,
        outputWidth: Int
    ) {
        self.channels = channels
        self.height = height
        self.width = width
        self.kernelHeight = kernelHeight
        self.kernelWidth = kernelWidth
        self.strideHeight = strideHeight
        self.strideWidth = strideWidth
        self.padTop = padTop
        self.padLeft = padLeft
        self.dilationHeight = dilationHeight
        self.dilationWidth = dilationWidth
        self.outputHeight = outputHeight
        self.outputWidth = outputWidth
    }
}

/// im2col/col2im for convolution as GEMM, and the pooling windows.
package enum ConvolutionKernels {
    /// Writes the patches of one image into columns of a `(channels·kh·kw) × (outH·outW)` matrix whose
    /// rows are `ldCol` apart: `col[(c·kh·kw + i·kw + j)·ldCol + oh·outW + ow] = x[c, oh·sh − pt + i·dh,
    /// ow·sw − pl + j·dw]` (0 outside the image).
    package static func im2col(_ g: WindowGeometry, x: UnsafePointer<Float>, col: UnsafeMutablePointer<Float>, ldCol: Int) {
        for c in 0..<g.channels {
            let plane = x + c * g.height * g.width
            for ki in 0..<g.kernelHeight {
                for kj in 0..<g.kernelWidth {
                    let row = col + ((c * g.kernelHeight + ki) * g.kernelWidth + kj) * ldCol
                    let dy = ki * g.dilationHeight - g.padTop
                    let dx = kj * g.dilationWidth - g.padLeft
                    for oh in 0..<g.outputHeight {
                        let y = oh * g.strideHeight + dy
                        let out = row + oh * g.outputWidth
                        if y < 0 || y >= g.height {
                            out.update(repeating: 0, count: g.outputWidth)
                            continue
                        }
                        let line = plane + y * g.width
                        if g.strideWidth == 1 {
                            // Columns inside the image are one contiguous run.
                            let first = max(0, -dx)
                            let last = min(g.outputWidth, g.width - dx)
                            if first >= last {
                                out.update(repeating: 0, count: g.outputWidth)
                                continue
                            }
                            if first > 0 { out.update(repeating: 0, count: first) }
                            (out + first).update(from: line + first + dx, count: last - first)
                            if last < g.outputWidth { (out + last).update(repeating: 0, count: g.outputWidth - last) }
                        } else {
                            for ow in 0..<g.outputWidth {
                                let xx = ow * g.strideWidth + dx
                                out[ow] = xx >= 0 && xx < g.width ? line[xx] : 0
                            }
                        }
                    }
                }
            }
        }
    }

    /// The adjoint of `im2col`: adds every column entry back into the image gradient `dx`.
    package static func col2im(_ g: WindowGeometry, col: UnsafePointer<Float>, ldCol: Int, dx: UnsafeMutablePointer<Float>) {
        for c in 0..<g.channels {
            let plane = dx + c * g.height * g.width
            for ki in 0..<g.kernelHeight {
                for kj in 0..<g.kernelWidth {
                    let row = col + ((c * g.kernelHeight + ki) * g.kernelWidth + kj) * ldCol
                    let dy = ki * g.dilationHeight - g.padTop
                    let dxo = kj * g.dilationWidth - g.padLeft
                    for oh in 0..<g.outputHeight {
                        let y = oh * g.strideHeight + dy
                        if y < 0 || y >= g.height { continue }
                        let line = plane + y * g.width
                        let src = row + oh * g.outputWidth
                        for ow in 0..<g.outputWidth {
                            let xx = ow * g.strideWidth + dxo
                            if xx >= 0 && xx < g.width { line[xx] += src[ow] }
                        }
                    }
                }
            }
        }
    }

    /// Max pooling over `planes` contiguous `height × width` planes (`channels` in the geometry is
    /// ignored); `argmax` receives, per output, the flat index in its plane of the winning input (−1 when
    /// the window lies wholly in the padding, whose output is then −∞).
    package static func maxPool(
        _ g: WindowGeometry, planes: Int, x: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
        argmax: UnsafeMutablePointer<Int32>?
    ) {
        let inPlane = g.height * g.width
        let outPlane = g.outputHeight * g.outputWidth
        for p in 0..<planes {
            let src = x + p * inPlane
            for oh in 0..<g.outputHeight {
                for ow in 0..<g.outputWidth {
                    var best = -Float.infinity
                    var index: Int32 = -1
                    for ki in 0..<g.kernelHeight {
                        let y = oh * g.strideHeight - g.padTop + ki * g.dilationHeight
                        if y < 0 || y >= g.height { continue }
                        for kj in 0..<g.kernelWidth {
                            let xx = ow * g.strideWidth - g.padLeft + kj * g.dilationWidth
                            if xx < 0 || xx >= g.width { continue }
                            let value = src[y * g.width + xx]
                            if value > best || index < 0 || value.isNaN && !best.isNaN {
                                best = value
                                index = Int32(y * g.width + xx)
                            }
                        }
                    }
                    let o = p * outPlane + oh * g.outputWidth + ow
                    out[o] = best
                    argmax?[o] = index
                }
            }
        }
    }

    /// Routes each output gradient to the input that won its window.
    package static func maxPoolBackward(
        _ g: WindowGeometry, planes: Int, argmax: UnsafePointer<Int32>, gradient: UnsafePointer<Float>,
        dx: UnsafeMutablePointer<Float>
    ) {
        let inPlane = g.height * g.width
        let outPlane = g.outputHeight * g.outputWidth
        for p in 0..<planes {
            for o in 0..<outPlane {
                let index = argmax[p * outPlane + o]
                if index >= 0 { dx[p * inPlane + Int(index)] += gradient[p * outPlane + o] }
            }
        }
    }

    /// Average pooling; the divisor counts the padded positions inside the padded image when
    /// `countIncludePad` (ONNX `count_include_pad=1`), else only positions inside the image.
    /// `padBottom`/`padRight` bound the padded image.
    package static func averagePool(
        _ g: WindowGeometry, planes: Int, padBottom: Int, padRight: Int, countIncludePad: Bool,
        x: UnsafePointer<Float>?, gradient: UnsafePointer<Float>?, out: UnsafeMutablePointer<Float>
    ) {
        let inPlane = g.height * g.width
        let outPlane = g.outputHeight * g.outputWidth
        for p in 0..<planes {
            for oh in 0..<g.outputHeight {
                for ow in 0..<g.outputWidth {
                    var count = 0
                    var total: Float = 0
                    let o = p * outPlane + oh * g.outputWidth + ow
                    let scale: Float
                    // First pass: the divisor.
                    for ki in 0..<g.kernelHeight {
                        let y = oh * g.strideHeight - g.padTop + ki * g.dilationHeight
                        for kj in 0..<g.kernelWidth {
                            let xx = ow * g.strideWidth - g.padLeft + kj * g.dilationWidth
                            let inside = y >= 0 && y < g.height && xx >= 0 && xx < g.width
                            let inPadded = y < g.height + padBottom && xx < g.width + padRight
                            if inside || (countIncludePad && inPadded) { count += 1 }
                        }
                    }
                    scale = count > 0 ? 1 / Float(count) : 0
                    for ki in 0..<g.kernelHeight {
                        let y = oh * g.strideHeight - g.padTop + ki * g.dilationHeight
                        if y < 0 || y >= g.height { continue }
                        for kj in 0..<g.kernelWidth {
                            let xx = ow * g.strideWidth - g.padLeft + kj * g.dilationWidth
                            if xx < 0 || xx >= g.width { continue }
                            let i = p * inPlane + y * g.width + xx
                            if let x {
                                total += x[i]
                            } else if let gradient {
                                out[i] += gradient[o] * scale
                            }
                        }
                    }
                    if x != nil { out[o] = total * scale }
                }
            }
        }
    }
}

extension ConvolutionKernels {
    /// im2col straight into GEMM's packed-B layout: packs rows `rowStart..<rowStart+depth` and columns
    /// `columnStart..<columnStart+columns` of the virtual patch matrix of a batch of images (row
    /// `(c·kh + i)·kw + j`, column `image·outH·outW + oh·outW + ow`) into `nr`-wide slivers, zero-padded.
    /// Images are `imageStride` apart; `channelOffset` selects a group's first channel.
    package static func packPatches(
        _ g: WindowGeometry, images: UnsafePointer<Float>, imageStride: Int, channelOffset: Int, rowStart: Int, depth: Int,
        columnStart: Int, columns: Int, nr: Int, into packed: UnsafeMutablePointer<Float>
    ) {
        let spatial = g.outputHeight * g.outputWidth
        let plane = g.height * g.width
        let taps = g.kernelHeight * g.kernelWidth
        var sliver = 0
        var col0 = 0
        while col0 < columns {
            let width = min(nr, columns - col0)
            let dst = packed + sliver * depth * nr
            // Runs of columns in one image and one output row read one input row per patch row.
            var c = 0
            while c < width {
                let j = columnStart + col0 + c
                let image = j / spatial
                let pixel = j - image * spatial
                let oh = pixel / g.outputWidth
                let ow = pixel - oh * g.outputWidth
                let run = min(width - c, g.outputWidth - ow)
                let base = images + image * imageStride + channelOffset
                var channel = rowStart / taps
                var ki = (rowStart - channel * taps) / g.kernelWidth
                var kj = rowStart - channel * taps - ki * g.kernelWidth
                for p in 0..<depth {
                    let out = dst + p * nr + c
                    let y = oh * g.strideHeight - g.padTop + ki * g.dilationHeight
                    if y < 0 || y >= g.height {
                        out.update(repeating: 0, count: run)
                    } else {
                        let line = base + channel * plane + y * g.width
                        let x0 = ow * g.strideWidth - g.padLeft + kj * g.dilationWidth
                        if g.strideWidth == 1 {
                            let first = min(run, max(0, -x0))
                            let last = max(first, min(run, g.width - x0))
                            if first > 0 { out.update(repeating: 0, count: first) }
                            if last > first { (out + first).update(from: line + x0 + first, count: last - first) }
                            if last < run { (out + last).update(repeating: 0, count: run - last) }
                        } else {
                            for t in 0..<run {
                                let x = x0 + t * g.strideWidth
                                out[t] = x >= 0 && x < g.width ? line[x] : 0
                            }
                        }
                    }
                    kj += 1
                    if kj == g.kernelWidth {
                        kj = 0
                        ki += 1
                        if ki == g.kernelHeight {
                            ki = 0
                            channel += 1
                        }
                    }
                }
                c += run
            }
            if width < nr {
                for p in 0..<depth { (dst + p * nr + width).update(repeating: 0, count: nr - width) }
            }
            sliver += 1
            col0 += nr
        }
    }
}
