import Foundation
import Synchronization

/// A progress bar on stderr for long work (hashing, training). Silent when stderr is not a
/// terminal or when disabled, so logs and pipes stay clean. Thread-safe: workers report into it.
final class ProgressBar: Sendable {
    private struct State {
        var lastDraw: UInt64 = 0
        var drawn = false
    }

    /// What the counts are: bytes (shown as KiB, MiB, …) or items such as rows.
    enum Unit: Sendable, Equatable {
        case bytes
        case items(String)
    }

    private let label: String
    private let unit: Unit
    private let enabled: Bool
    private let state = Mutex(State())

    init(label: String, unit: Unit = .bytes, enabled: Bool = true) {
        self.label = label
        self.unit = unit
        self.enabled = enabled && Console.stderrIsTerminal
    }

    /// "`done` / `total`" in the bar's unit: `1.5 MiB / 3.0 MiB`, or `12 / 50 rows`.
    static func counts(done: Int64, total: Int64, unit: Unit) -> String {
        switch unit {
        case .bytes: "\(ByteCount.format(done)) / \(ByteCount.format(total))"
        case .items(let name): "\(done) / \(total) \(name)"
        }
    }

    /// Reports `done` of `total` (in the bar's unit); redraws at most every 100 ms.
    func update(done: Int64, total: Int64) {
        guard enabled, total > 0 else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        let shouldDraw = state.withLock { s -> Bool in
            guard now - s.lastDraw > 100_000_000 || done >= total else { return false }
            s.lastDraw = now
            s.drawn = true
            return true
        }
        guard shouldDraw else { return }
        let fraction = min(1, Double(done) / Double(total))
        let width = 30
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "█", count: filled) + String(repeating: "·", count: width - filled)
        let text = String(format: "\r%@ %@ %3.0f%% %@", label, bar, fraction * 100, Self.counts(done: done, total: total, unit: unit))
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// Clears the bar's line.
    func finish() {
        guard enabled, state.withLock({ $0.drawn }) else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8))
    }
}

/// Human-readable byte counts.
enum ByteCount {
    static func format(_ bytes: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(bytes) B" : String(format: "%.1f %@", value, units[unit])
    }
}
