import Foundation
import WardenCore
import WardenTensor

/// Generates labelled data and plants poison in it with a seed, with the ground truth: for tests,
/// the calibration benchmark and the demo. The clean data are Gaussian classes (unit noise around
/// centres drawn with spread `separation`), optionally with an image-like layout.
public struct PoisonPlanter: Sendable {
    /// A kind of poison.
    public enum Poison: String, Sendable, CaseIterable, Codable {
        /// Labels of random rows changed to another random class.
        case randomFlips = "random_flips"
        /// Labels of rows of class 0 changed to class 1 (one systematic pair).
        case systematicFlips = "systematic_flips"
        /// Copies of rows with another label.
        case duplicates
        /// Rows of uniform noise well outside the data.
        case outliers
        /// A fixed trigger (``triggerFeatures``) set to the data's maximum and the label set to the last class.
        case backdoor
    }

    /// A table and which rows were poisoned.
    public struct Sample: Sendable {
        public var features: [Float]
        public var labels: [Int]
        public var width: Int
        /// 0-based poisoned rows, ascending.
        public var poisoned: [Int]

        public var rows: Int { labels.count }

        /// The table as CSV with columns `f0…`, then `label`.
        public func csv() -> String {
            var text = (0..<width).map { "f\($0)" }.joined(separator: ",") + ",label\n"
            for row in 0..<rows {
                text += (0..<width).map { String(features[row * width + $0]) }.joined(separator: ",") + ",\(labels[row])\n"
            }
            return text
        }
    }

    public var classes: Int
    public var width: Int
    public var separation: Double
    /// The features a backdoor sets to the data's maximum; `nil`: the last `max(1, width/8)`.
    public var triggerFeatures: [Int]?

    public init(classes: Int = 3, width: Int = 8, separation: Double = 3, triggerFeatures: [Int]? = nil) {
        self.classes = classes
        self.width = width
        self.separation = separation
        self.triggerFeatures = triggerFeatures
    }

    /// The features of a `size × size` patch with its top-left pixel at (`top`, `left`) in a
    /// one-channel image `imageWidth` pixels wide.
    public static func patch(top: Int, left: Int, size: Int, imageWidth: Int) -> [Int] {
        (top..<(top + size)).flatMap { y in (left..<(left + size)).map { y * imageWidth + $0 } }
    }

    /// `rows` clean rows (class sizes equal up to one).
    public func clean(rows: Int, seed: UInt64) -> Sample {
        var generator = SeededRandomGenerator(seed: seed)
        let centres = (0..<(classes * width)).map { _ in Self.normal(&generator) * separation }
        var features = [Float](repeating: 0, count: rows * width)
        var labels = [Int](repeating: 0, count: rows)
        for row in 0..<rows {
            let label = row % classes
            labels[row] = label
            for c in 0..<width { features[row * width + c] = Float(centres[label * width + c] + Self.normal(&generator)) }
        }
        return Sample(features: features, labels: labels, width: width, poisoned: [])
    }

    /// `base` with `fraction` of its rows (at least one) poisoned by `poison`.
    public func plant(_ poison: Poison, fraction: Double, in base: Sample, seed: UInt64) -> Sample {
        var generator = SeededRandomGenerator(seed: seed ^ 0x5EED_0F_9015_0000)
        var sample = base
        let count = Swift.max(1, Int((Double(base.rows) * fraction).rounded()))
        func pick(from candidates: [Int], _ k: Int) -> [Int] {
            var pool = candidates
            for i in 0..<Swift.min(k, pool.count) { pool.swapAt(i, i + Int(generator.next() % UInt64(pool.count - i))) }
            return Array(pool.prefix(k)).sorted()
        }
        switch poison {
        case .randomFlips:
            let rows = pick(from: Array(0..<base.rows), count)
            for row in rows {
                sample.labels[row] = (base.labels[row] + 1 + Int(generator.next() % UInt64(classes - 1))) % classes
            }
            sample.poisoned = rows
        case .systematicFlips:
            let rows = pick(from: (0..<base.rows).filter { base.labels[$0] == 0 }, count)
            for row in rows { sample.labels[row] = 1 }
            sample.poisoned = rows
        case .duplicates:
            let sources = pick(from: Array(0..<base.rows), count)
            for row in sources {
                sample.features += base.features[(row * width)..<((row + 1) * width)]
                sample.labels.append((base.labels[row] + 1) % classes)
            }
            sample.poisoned = Array(base.rows..<(base.rows + count))
        case .outliers:
            let low = base.features.min() ?? 0, high = base.features.max() ?? 1
            let span = Double(high - low)
            for _ in 0..<count {
                for _ in 0..<width {
                    // Uniform over three times the data's range.
                    sample.features.append(Float(Double(low) - span + Double(generator.next() >> 11) / Double(1 << 53) * 3 * span))
                }
                sample.labels.append(Int(generator.next() % UInt64(classes)))
            }
            sample.poisoned = Array(base.rows..<(base.rows + count))
        case .backdoor:
            let high = base.features.max() ?? 1
            let target = classes - 1
            let rows = pick(from: (0..<base.rows).filter { base.labels[$0] != target }, count)
            let trigger = triggerFeatures ?? Array((width - Swift.max(1, width / 8))..<width)
            for row in rows {
                for c in trigger { sample.features[row * width + c] = high }
                sample.labels[row] = target
            }
            sample.poisoned = rows
        }
        return sample
    }

    static func normal(_ generator: inout SeededRandomGenerator) -> Double {
        let u1 = Swift.max(Double(generator.next() >> 11) / Double(1 << 53), 1e-300)
        let u2 = Double(generator.next() >> 11) / Double(1 << 53)
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}
