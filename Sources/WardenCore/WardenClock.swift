import Foundation

/// The source of "now" for everything Warden records, injected so tests are deterministic.
public struct WardenClock: Sendable {
    private let read: @Sendable () -> Date

    public init(_ read: @escaping @Sendable () -> Date) { self.read = read }

    /// The system's wall clock.
    public static let system = WardenClock { Date() }

    /// A clock stopped at `date` (tests).
    public static func fixed(_ date: Date) -> WardenClock { WardenClock { date } }

    public func now() -> Date { read() }

    /// `now()` as RFC 3339 in UTC with milliseconds, the form every Warden record uses.
    public func timestamp() -> String { Self.rfc3339(now()) }

    public static func rfc3339(_ date: Date) -> String {
        var formatter = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        formatter.timeZone = TimeZone(identifier: "UTC")!
        return date.formatted(formatter)
    }
}
