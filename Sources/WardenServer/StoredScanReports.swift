import Synchronization
import WardenCore
import WardenScan

/// The digests of scan reports this server has stored, by report: an upload whose scan gives a
/// report equal to one already stored (same scanner, threshold, files, findings — a report holds
/// no time) reuses its digest instead of encoding and hashing the same JSON again (the report's
/// `JSONEncoder` pass was over half of a create's scan). Content addressing makes this exact: equal
/// reports encode to the same bytes, so the same digest. A digest is only reused while the blob
/// store still holds it. Bounded: at `capacity` reports the memo starts again empty.
final class StoredScanReports: Sendable {
    private let capacity: Int
    private let reports = Mutex<[(report: ScanReport, digest: Digest)]>([])

    init(capacity: Int = 64) {
        self.capacity = max(1, capacity)
    }

    /// The digest `report` was stored under, if remembered.
    func digest(of report: ScanReport) -> Digest? {
        reports.withLock { $0.last { $0.report == report }?.digest }
    }

    func remember(_ report: ScanReport, as digest: Digest) {
        reports.withLock { memo in
            if memo.count >= capacity { memo.removeAll(keepingCapacity: true) }
            memo.append((report, digest))
        }
    }
}
