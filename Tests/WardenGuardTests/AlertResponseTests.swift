import Synchronization
import Testing
import WardenCore
import WardenTesting

@testable import WardenGuard

/// The pure parts of alerting and response: CEF escaping (hostile names cannot forge fields or
/// lines), the webhook queue's retries, final statuses, timeouts-as-errors and bound, playbook
/// matching and parsing, the blocklist's expiry and bound, the incident log's bound, the traffic
/// split's exact shares, and the drift window on shifted and unshifted data.
struct AlertResponseTests {
    static func alert(_ type: String = "extraction", client: String = "app", model: String = "digits", details: JSONValue = ["action": "block"]) -> GuardAlert {
        GuardAlert(time: "2026-12-06T12:00:00Z", type: type, client: client, model: model, details: details)
    }

    @Test func cefEscapesEveryFieldAndCarriesTheSeverity() {
        let formatter = CEFFormatter(version: "0.1.0")
        let line = formatter.line(Self.alert(client: "evil=1 act=none\nCEF:0|forged", model: "a|b\\c", details: ["note": "x=y", "action": "block"]))
        #expect(!line.contains("\n"))
        #expect(line.hasPrefix("CEF:0|Warden|warden-gateway|0.1.0|extraction|Model extraction suspected|8|end=2026-12-06T12:00:00Z "), "\(line)")
        #expect(line.contains(#"suser=evil\=1 act\=none\nCEF:0|forged"#), "\(line)")
        #expect(line.contains(#"cs1=a|b\\c"#) && line.contains("act=block") && line.contains("cnt=1"))
        #expect(line.contains(#"cs2={"note":"x\=y","action":"block"}"#), "\(line)")
        // Header fields escape the pipe; the syslog form has a priority and host.
        let header = CEFFormatter(version: "1|2", syslogHost: "gw 1\n").line(Self.alert("rate_limit"))
        #expect(header.hasPrefix("<133>1 2026-12-06T12:00:00Z gw1 warden - - - CEF:0|Warden|warden-gateway|1\\|2|rate_limit|"), "\(header)")
        #expect(header.contains("|3|"))
    }

    @Test func severitiesOrderAndDefaultByType() {
        #expect(GuardAlert.Severity.low < .medium && GuardAlert.Severity.high < .critical)
        #expect(Self.alert("extraction").severity == .high && Self.alert("drift").severity == .medium && Self.alert("overload").severity == .low)
        #expect(Self.alert(details: [:]).json["suppressed"] == nil)
    }

    /// Records what the fake transport saw; answers from a script.
    final class Script: Sendable {
        let answers: Mutex<[Result<Int, WardenError>]>
        let seen = Mutex<[String]>([])
        let slept = Mutex<[Double]>([])
        init(_ answers: [Result<Int, WardenError>]) { self.answers = Mutex(answers) }
        var transport: WebhookQueue.Transport {
            { body, _ in
                self.seen.withLock { $0.append(String(decoding: body, as: UTF8.self)) }
                let next = self.answers.withLock { $0.isEmpty ? .success(200) : $0.removeFirst() }
                return try next.get()
            }
        }
        var sleep: WebhookQueue.Sleep { { seconds in self.slept.withLock { $0.append(seconds) } } }
    }

    static func settle(_ queue: WebhookQueue) async throws {
        for _ in 0..<500 where queue.pending > 0 { try await Task.sleep(for: .milliseconds(5)) }
        #expect(queue.pending == 0)
    }

    @Test func webhookRetriesWithBackoffThenGivesUp() async throws {
        var policy = WebhookQueue.Policy()
        policy.retries = 2
        policy.backoff = 0.5
        let script = Script([.success(503), .failure(.io("connection refused")), .success(500), .success(500), .success(204)])
        let queue = WebhookQueue(policy: policy, transport: script.transport, sleep: script.sleep)
        #expect(queue.enqueue(Array("a".utf8)) && queue.enqueue(Array("b".utf8)))
        try await Self.settle(queue)
        // a: 503, error, 500 → failed after 2 retries; b: 500, 204 → delivered.
        #expect(script.seen.withLock { $0 } == ["a", "a", "a", "b", "b"])
        #expect(script.slept.withLock { $0 } == [0.5, 1.0, 0.5])
        #expect(queue.counts == WebhookQueue.Counts(delivered: 1, failed: 1, dropped: 0, retries: 3))
    }

    @Test func webhookDoesNotRetryAFinalRefusal() async throws {
        let script = Script([.success(400), .success(429), .success(200)])
        let queue = WebhookQueue(policy: WebhookQueue.Policy(), transport: script.transport, sleep: script.sleep)
        queue.enqueue(Array("x".utf8))
        queue.enqueue(Array("y".utf8))
        try await Self.settle(queue)
        #expect(script.seen.withLock { $0 } == ["x", "y", "y"], "400 is final; 429 is retried")
        #expect(queue.counts.failed == 1 && queue.counts.delivered == 1)
    }

    @Test func aFullQueueDropsInsteadOfWaiting() async throws {
        var policy = WebhookQueue.Policy()
        policy.capacity = 2
        final class Flags: Sendable {
            let gate = Mutex(false)
            let started = Mutex(0)
        }
        let flags = Flags()
        let queue = WebhookQueue(
            policy: policy,
            transport: { _, _ in
                flags.started.withLock { $0 += 1 }
                while !flags.gate.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(2)) }
                return 200
            })
        queue.enqueue([1])
        for _ in 0..<500 where flags.started.withLock({ $0 }) == 0 { try await Task.sleep(for: .milliseconds(2)) }
        // One in delivery (stuck), two waiting, the rest dropped at once.
        let accepted = (0..<10).map { _ in queue.enqueue([2]) }
        #expect(accepted.filter { $0 }.count == 2 && queue.counts.dropped == 8)
        flags.gate.withLock { $0 = true }
        try await Self.settle(queue)
        #expect(queue.counts.delivered == 3)
    }

    @Test func playbookMatchesTypeAndSeverityInRuleOrder() throws {
        let playbook = Playbook(rules: [
            .init(types: ["extraction"], minimumSeverity: .high, actions: [.block, .revoke]),
            .init(types: ["extraction", "drift"], actions: [.rollback, .block]),
            .init(types: ["adversarial"], minimumSeverity: .critical, actions: [.fallback]),
        ])
        #expect(playbook.actions(for: Self.alert("extraction")) == [.block, .revoke, .rollback])
        #expect(playbook.actions(for: Self.alert("drift")) == [.rollback, .block])
        #expect(playbook.actions(for: Self.alert("adversarial")).isEmpty, "medium is below critical")
        #expect(playbook.actions(for: Self.alert("blocked")).isEmpty && playbook.actions(for: Self.alert("rate_limit")).isEmpty)
        #expect(try Playbook.rule("extraction=block+revoke") == .init(types: ["extraction"], actions: [.block, .revoke]))
        for bad in ["extraction", "blocked=block", "drift=", "drift=block+explode", "=block", "nope=block"] {
            #expect(throws: GuardError.self, "\(bad)") { try Playbook.rule(bad) }
        }
    }

    @Test func blocklistExpiresAndStaysBounded() {
        let list = ClientBlocklist(capacity: 2)
        list.block(.init(client: "a", until: 100, reason: "r", by: "p", incident: "i1"), now: 0)
        list.block(.init(client: "b", until: nil, reason: "r", by: "p", incident: nil), now: 0)
        #expect(list.entry(for: "a", now: 50)?.incident == "i1" && list.entry(for: "a", now: 100) == nil)
        list.block(.init(client: "a", until: 300, reason: "r", by: "p", incident: nil), now: 150)
        list.block(.init(client: "c", until: 200, reason: "r", by: "p", incident: nil), now: 150)
        #expect(list.active(now: 150).map(\.client) == ["b", "c"], "full: expired entries go first, then the one that expires soonest")
        #expect(list.unblock("b", now: 160)?.client == "b" && list.unblock("b", now: 160) == nil)
    }

    @Test func incidentLogKeepsTheNewestAndRecordsSteps() {
        let log = IncidentLog(capacity: 3)
        let ids = (0..<5).map { _ in log.open(Self.alert(), clientID: "app") }
        #expect(ids == ["i1", "i2", "i3", "i4", "i5"])
        log.record("i5", .init(action: "block", outcome: "done", detail: "d"))
        log.record("i1", .init(action: "block", outcome: "done", detail: "gone"))
        #expect(log.list().map(\.id) == ["i5", "i4", "i3"] && log.incident("i1") == nil)
        #expect(log.incident("i5")?.steps.count == 1 && log.list(type: "drift").isEmpty && log.list(limit: 1).count == 1)
    }

    @Test func trafficSplitIsExactOverEachCycle() throws {
        let split = try TrafficSplit([.init(name: "3", weight: 90), .init(name: "4", weight: 10)])
        let picks = (0..<200).map { _ in split.next().name }
        #expect(picks.filter { $0 == "4" }.count == 20)
        #expect(picks.prefix(100).filter { $0 == "4" }.count == 10)
        let even = try TrafficSplit([.init(name: "a", weight: 1), .init(name: "b", weight: 1)])
        #expect((0..<4).map { _ in even.next().name } == ["a", "b", "a", "b"])
        for bad in [[TrafficSplit.Target(name: "a", weight: 1)], [.init(name: "a", weight: 1), .init(name: "a", weight: 2)], [.init(name: "a", weight: 0), .init(name: "b", weight: 1)]] {
            #expect(throws: GuardError.self) { try TrafficSplit(bad) }
        }
    }

    @Test func driftWindowFlagsAShiftOnceAndNotTheReference() throws {
        var random = SeededGenerator(seed: 11)
        let width = 4
        let reference = (0..<2000).map { _ in Float.random(in: 0...1, using: &random) }
        let predictions = (0..<500).map { $0 % 2 }
        var policy = DriftWindow.Policy()
        policy.window = 200
        policy.every = 100
        let window = try DriftWindow(policy: policy, reference: reference, width: width, predictions: predictions)
        func rows(_ n: Int, shift: Float) -> [Float] { (0..<(n * width)).map { Float.random(in: 0...1, using: &random) + ($0 % width == 2 ? shift : 0) } }
        #expect(window.observe(rows(100, shift: 0), predictions: (0..<100).map { $0 % 2 }) == nil, "the window is not full yet")
        let calm = try #require(window.observe(rows(100, shift: 0), predictions: (0..<100).map { $0 % 2 }))
        #expect(!calm.isDrifted && calm.psi.count == width, "\(calm)")
        let shifted = try #require(window.observe(rows(100, shift: 0.8), predictions: (0..<100).map { $0 % 2 }))
        #expect(shifted.drifted == [2] && shifted.newlyDrifted && !shifted.predictionsDrifted, "\(shifted)")
        let still = try #require(window.observe(rows(100, shift: 0.8), predictions: (0..<100).map { _ in 1 }))
        #expect(still.isDrifted && !still.newlyDrifted && still.predictionsDrifted)
        #expect(window.last == still)
        #expect(throws: GuardError.self) { try DriftWindow(policy: policy, reference: [1, 2, 3], width: 2, predictions: [0]) }
        #expect(throws: GuardError.self) { try DriftWindow(policy: policy, reference: [], width: 2, predictions: []) }
    }
}
