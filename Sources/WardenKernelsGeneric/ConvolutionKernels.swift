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

/// The patch matrix of convolution as GEMM (im2col, and packing and folding through padded images) and the pooling windows.
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

    /// Max pooling over `planes` contiguous `height × width` planes (`channels` in the geometry is
    /// ignored); `argmax`, when given, receives per output the flat index in its plane of the winning
    /// input (−1 when the window lies wholly in the padding, whose output is then −∞). A larger value
    /// wins, ties keep the first, and the first NaN wins and stays.
    package static func maxPool(
        _ g: WindowGeometry, planes: Int, x: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>,
        argmax: UnsafeMutablePointer<Int32>?
    ) {
        let inPlane = g.height * g.width
        let outPlane = g.outputHeight * g.outputWidth
        // Output columns whose windows lie inside the image horizontally.
        let firstInside = min(g.outputWidth, (g.padLeft + g.strideWidth - 1) / g.strideWidth)
        let lastSpan = (g.kernelWidth - 1) * g.dilationWidth
        var lastInside = firstInside
        while lastInside < g.outputWidth && lastInside * g.strideWidth - g.padLeft + lastSpan < g.width { lastInside += 1 }
        for p in 0..<planes {
            let src = x + p * inPlane
            let dst = out + p * outPlane
            let winners = argmax.map { $0 + p * outPlane }
            for oh in 0..<g.outputHeight {
                let y0 = oh * g.strideHeight - g.padTop
                var kiFirst = 0
                while kiFirst < g.kernelHeight && y0 + kiFirst * g.dilationHeight < 0 { kiFirst += 1 }
                var kiEnd = kiFirst
                while kiEnd < g.kernelHeight && y0 + kiEnd * g.dilationHeight < g.height { kiEnd += 1 }
                let line = dst + oh * g.outputWidth
                let lineWinners = winners.map { $0 + oh * g.outputWidth }
                var ow = 0
                func scalar(_ ow: Int) {
                    var best = -Float.infinity
                    var index: Int32 = -1
                    let x0 = ow * g.strideWidth - g.padLeft
                    for ki in kiFirst..<kiEnd {
                        let y = y0 + ki * g.dilationHeight
                        for kj in 0..<g.kernelWidth {
                            let xx = x0 + kj * g.dilationWidth
                            if xx < 0 || xx >= g.width { continue }
                            let value = src[y * g.width + xx]
                            if value > best || index < 0 || value.isNaN && !best.isNaN {
                                best = value
                                index = Int32(y * g.width + xx)
                            }
                        }
                    }
                    line[ow] = best
                    lineWinners?[ow] = index
                }
                if kiFirst == kiEnd {
                    for ow in 0..<g.outputWidth { scalar(ow) }
                    continue
                }
                while ow < firstInside {
                    scalar(ow)
                    ow += 1
                }
                while ow < lastInside {
                    // Inside the image: no bounds checks, and selects rather than branches (random
                    // data mispredicted every other compare). A NaN after the first tap is rare: the
                    // exact loop redoes that window.
                    let x0 = ow * g.strideWidth - g.padLeft
                    let firstTap = (y0 + kiFirst * g.dilationHeight) * g.width + x0
                    var best = src[firstTap]
                    var index = Int32(firstTap)
                    var sawNaN = false
                    for ki in kiFirst..<kiEnd {
                        let row = (y0 + ki * g.dilationHeight) * g.width + x0
                        for kj in 0..<g.kernelWidth {
                            let at = row + kj * g.dilationWidth
                            let value = src[at]
                            let wins = value > best
                            best = wins ? value : best
                            index = wins ? Int32(at) : index
                            sawNaN = sawNaN || value.isNaN
                        }
                    }
                    if sawNaN && !best.isNaN {
                        scalar(ow)
                    } else {
                        line[ow] = best
                        lineWinners?[ow] = index
                    }
                    ow += 1
                }
                while ow < g.outputWidth {
                    scalar(ow)
                    ow += 1
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

/// The zero-padded copy of an image that the direct patch packer reads: every row and column a
/// window touches, so packing needs no bounds checks.
package struct PaddedImage: Sendable, Equatable {
    /// Rows and columns of one padded plane: `(out − 1)·stride + (kernel − 1)·dilation + 1`.
    package var height: Int
    package var width: Int
    package var plane: Int { height * width }

    package init(_ g: WindowGeometry) {
        height = (g.outputHeight - 1) * g.strideHeight + (g.kernelHeight - 1) * g.dilationHeight + 1
        width = (g.outputWidth - 1) * g.strideWidth + (g.kernelWidth - 1) * g.dilationWidth + 1
    }

    /// Whether the image itself can be read as the padded image (no padding, nothing cropped).
    package func isImage(_ g: WindowGeometry) -> Bool {
        g.padTop == 0 && g.padLeft == 0 && height == g.height && width == g.width
    }

    /// Offset in the padded image of each patch row `(c·kh + i)·kw + j`: `(c·H' + i·dh)·W' + j·dw`.
    package func patchOffsets(_ g: WindowGeometry) -> [Int] {
        var offsets: [Int] = []
        offsets.reserveCapacity(g.channels * g.kernelHeight * g.kernelWidth)
        for c in 0..<g.channels {
            for i in 0..<g.kernelHeight {
                for j in 0..<g.kernelWidth { offsets.append((c * height + i * g.dilationHeight) * width + j * g.dilationWidth) }
            }
        }
        return offsets
    }
}

extension ConvolutionKernels {
    /// Copies `channels` planes of an image into `padded` (see ``PaddedImage``), zeros where a window
    /// reads the padding; rows or columns past the last window are left out.
    package static func pad(
        _ g: WindowGeometry, _ p: PaddedImage, channels: Int, x: UnsafePointer<Float>, into padded: UnsafeMutablePointer<Float>
    ) {
        let left = min(g.padLeft, p.width)
        let inside = max(0, min(g.width, p.width - g.padLeft))
        let right = p.width - left - inside
        for c in 0..<channels {
            let plane = x + c * g.height * g.width
            for row in 0..<p.height {
                let out = padded + (c * p.height + row) * p.width
                let y = row - g.padTop
                if y < 0 || y >= g.height {
                    zero(out, count: p.width)
                    continue
                }
                zero(out, count: left)
                copy(plane + y * g.width, to: out + left, count: inside)
                zero(out + left + inside, count: right)
            }
        }
    }

    /// `count` zeros at `out`, inline: rows of a small image are a few floats, where a call to `memset`
    /// (what `update(repeating:count:)` becomes) costs more than the stores.
    @inline(__always)
    static func zero(_ out: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        let raw = UnsafeMutableRawPointer(out)
        while i + 4 <= count {
            raw.storeBytes(of: SIMD4<Float>(), toByteOffset: i * 4, as: SIMD4<Float>.self)
            i += 4
        }
        // Up to three left, unrolled (a loop here would be turned back into a `memset` call).
        if i < count { out[i] = 0 }
        if i + 1 < count { out[i + 1] = 0 }
        if i + 2 < count { out[i + 2] = 0 }
    }

    /// Copies `count` floats inline (see ``zero(_:count:)``).
    @inline(__always)
    static func copy(_ source: UnsafePointer<Float>, to out: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        let (from, to) = (UnsafeRawPointer(source), UnsafeMutableRawPointer(out))
        while i + 4 <= count {
            to.storeBytes(of: from.loadUnaligned(fromByteOffset: i * 4, as: SIMD4<Float>.self), toByteOffset: i * 4, as: SIMD4<Float>.self)
            i += 4
        }
        if i < count { out[i] = source[i] }
        if i + 1 < count { out[i + 1] = source[i + 1] }
        if i + 2 < count { out[i + 2] = source[i + 2] }
    }

    /// Packs rows `rowStart..<rowStart+depth` and columns `columnStart..<columnStart+columns` of one
    /// image's patch matrix into GEMM's `nr`-wide slivers (zero-padded), reading a ``PaddedImage``:
    /// patch row `r`, output pixel `(oh, ow)` is `padded[offsets[r] + oh·sh·W' + ow·sw]`.
    package static func packPaddedPatches(
        _ g: WindowGeometry, _ p: PaddedImage, padded: UnsafePointer<Float>, offsets: UnsafePointer<Int>, rowStart: Int, depth: Int,
        columnStart: Int, columns: Int, nr: Int, into packed: UnsafeMutablePointer<Float>
    ) {
        let rows = offsets + rowStart
        var sliver = 0
        var col0 = 0
        while col0 < columns {
            let width = min(nr, columns - col0)
            let dst = packed + sliver * depth * nr
            var c = 0
            while c < width {
                let pixel = columnStart + col0 + c
                let oh = pixel / g.outputWidth
                let ow = pixel - oh * g.outputWidth
                let run = min(width - c, g.outputWidth - ow)
                let base = padded + oh * g.strideHeight * p.width + ow * g.strideWidth
                if g.strideWidth == 1 {
                    for r in 0..<depth { copyRun(base + rows[r], dst + r * nr + c, run) }
                } else {
                    let step = g.strideWidth
                    for r in 0..<depth {
                        let src = base + rows[r]
                        let out = dst + r * nr + c
                        for t in 0..<run { out[t] = src[t * step] }
                    }
                }
                c += run
            }
            if width < nr {
                for r in 0..<depth {
                    let out = dst + r * nr
                    for t in width..<nr { out[t] = 0 }
                }
            }
            sliver += 1
            col0 += nr
        }
    }

    /// Copies `count` floats with 8-wide (overlapping at the end) moves: runs are short, and a
    /// library `memcpy` call per run cost more than the copy.
    @inline(__always)
    static func copyRun(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        let s = UnsafeRawPointer(src), d = UnsafeMutableRawPointer(dst)
        if count >= 8 {
            var t = 0
            while t + 8 <= count {
                d.storeBytes(of: s.loadUnaligned(fromByteOffset: t * 4, as: SIMD8<Float>.self), toByteOffset: t * 4, as: SIMD8<Float>.self)
                t += 8
            }
            if t < count {
                let last = (count - 8) * 4
                d.storeBytes(of: s.loadUnaligned(fromByteOffset: last, as: SIMD8<Float>.self), toByteOffset: last, as: SIMD8<Float>.self)
            }
        } else if count >= 4 {
            d.storeBytes(of: s.loadUnaligned(fromByteOffset: 0, as: SIMD4<Float>.self), toByteOffset: 0, as: SIMD4<Float>.self)
            let last = (count - 4) * 4
            d.storeBytes(of: s.loadUnaligned(fromByteOffset: last, as: SIMD4<Float>.self), toByteOffset: last, as: SIMD4<Float>.self)
        } else {
            for t in 0..<count { dst[t] = src[t] }
        }
    }

    /// ReLU in place over `rows` rows of `columns` floats, `ldc` apart (NaN stays NaN, as `relu`).
    package static func reluRows(_ c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, columns: Int) {
        for r in 0..<rows {
            let line = c + r * ldc
            let raw = UnsafeMutableRawPointer(line)
            var j = 0
            while j + 8 <= columns {
                let v = raw.loadUnaligned(fromByteOffset: j * 4, as: SIMD8<Float>.self)
                raw.storeBytes(of: v.replacing(with: 0, where: v .<= 0), toByteOffset: j * 4, as: SIMD8<Float>.self)
                j += 8
            }
            while j < columns {
                if line[j] <= 0 { line[j] = 0 }
                j += 1
            }
        }
    }

}

extension ConvolutionKernels {
    /// The adjoint of the patch matrix, into a ``PaddedImage``-shaped gradient: adds each entry of
    /// `col` (`channels·kh·kw × outH·outW`, rows `ldCol` apart) to the padded position it was read
    /// from. Rows of outputs are runs of the padded image, so there are no bounds checks.
    package static func foldPadded(
        _ g: WindowGeometry, _ p: PaddedImage, col: UnsafePointer<Float>, ldCol: Int, offsets: UnsafePointer<Int>,
        into padded: UnsafeMutablePointer<Float>
    ) {
        let rows = g.channels * g.kernelHeight * g.kernelWidth
        for r in 0..<rows {
            let source = col + r * ldCol
            let base = padded + offsets[r]
            for oh in 0..<g.outputHeight {
                let dst = base + oh * g.strideHeight * p.width
                let src = source + oh * g.outputWidth
                if g.strideWidth == 1 {
                    addRun(src, dst, g.outputWidth)
                } else {
                    for ow in 0..<g.outputWidth { dst[ow * g.strideWidth] += src[ow] }
                }
            }
        }
    }

    /// `dx += ` the image part of a padded gradient (the inverse of ``pad(_:_:channels:x:into:)``).
    package static func unpadAdding(
        _ g: WindowGeometry, _ p: PaddedImage, channels: Int, padded: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>
    ) {
        let rows = max(0, min(g.height, p.height - g.padTop))
        let columns = max(0, min(g.width, p.width - g.padLeft))
        for c in 0..<channels {
            for y in 0..<rows {
                addRun(padded + (c * p.height + y + g.padTop) * p.width + g.padLeft, dx + (c * g.height + y) * g.width, columns)
            }
        }
    }

    /// `dst[i] += src[i]` for `count` floats, eight at a time.
    @inline(__always)
    static func addRun(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        let s = UnsafeRawPointer(src), d = UnsafeMutableRawPointer(dst)
        var t = 0
        while t + 8 <= count {
            let sum = d.loadUnaligned(fromByteOffset: t * 4, as: SIMD8<Float>.self) + s.loadUnaligned(fromByteOffset: t * 4, as: SIMD8<Float>.self)
            d.storeBytes(of: sum, toByteOffset: t * 4, as: SIMD8<Float>.self)
            t += 8
        }
        while t < count {
            dst[t] += src[t]
            t += 1
        }
    }
}
