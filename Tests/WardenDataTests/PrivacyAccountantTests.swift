import Testing
import WardenCore

@testable import WardenData

/// The RDP accountant against values from Google's dp-accounting 0.6.0, obtained in the interop
/// venv (`scripts/interop/dp.sh` creates it) with:
///
///     a = dp_accounting.rdp.RdpAccountant()
///     a.compose(dp_accounting.PoissonSampledDpEvent(q, dp_accounting.GaussianDpEvent(sigma)), steps)
///     a.get_epsilon_and_optimal_order(delta)
///
/// and, for single orders, `rdp_privacy_accountant._compute_rdp_poisson_subsampled_gaussian(0.01, 1.1, orders)`.
struct PrivacyAccountantTests {
    struct Point: Sendable, CustomTestStringConvertible {
        var q: Double, sigma: Double, steps: Int, delta: Double
        var epsilon: Double, order: Double
        var testDescription: String { "q=\(q) σ=\(sigma) steps=\(steps)" }
    }

    static let points: [Point] = [
        Point(q: 0.01, sigma: 1.1, steps: 10000, delta: 1e-5, epsilon: 5.632010670081592, order: 4.7),
        Point(q: 0.001, sigma: 0.5, steps: 100, delta: 1e-5, epsilon: 3.5981250152851576, order: 3.8),
        Point(q: 0.1, sigma: 4.0, steps: 1, delta: 1e-5, epsilon: 0.1394758845478205, order: 63),
        Point(q: 1.0, sigma: 2.0, steps: 10, delta: 1e-6, epsilon: 8.84687435850794, order: 4.1),
        Point(q: 0.02, sigma: 0.8, steps: 500, delta: 1e-5, epsilon: 5.371863220431957, order: 3.8),
    ]

    @Test(arguments: points) func epsilonMatchesDPAccounting(_ p: Point) throws {
        let r = try RDPAccountant.epsilon(samplingRate: p.q, noiseMultiplier: p.sigma, steps: p.steps, delta: p.delta)
        #expect(abs(r.epsilon / p.epsilon - 1) < 1e-9, "\(r.epsilon) vs \(p.epsilon)")
        #expect(r.order == p.order)
    }

    @Test func singleOrdersMatchIntegerAndFractionalSeries() {
        let expected: [(Double, Double)] = [
            (1.5, 9.858756968009191e-05), (2.0, 0.00012851008160516542), (4.7, 0.000317789901961926),
            (32.0, 8.469416433675926), (128.0, 48.251130614916136),
        ]
        for (order, value) in expected {
            let got = RDPAccountant.rdp(samplingRate: 0.01, noiseMultiplier: 1.1, order: order)
            #expect(abs(got / value - 1) < 1e-9, "order \(order): \(got) vs \(value)")
        }
    }

    @Test func defaultOrdersAreDPAccountingsList() {
        let orders = RDPAccountant.defaultOrders
        #expect(orders.count == 99 + 53 + 4)
        #expect(orders.first == 1.1 && orders[98] == 10.9 && orders[99] == 11 && orders.last == 1024)
    }

    @Test func edgeCases() throws {
        #expect(try RDPAccountant.epsilon(samplingRate: 0, noiseMultiplier: 1, steps: 100, delta: 1e-5).epsilon == 0)
        #expect(try RDPAccountant.epsilon(samplingRate: 0.1, noiseMultiplier: 0, steps: 1, delta: 1e-5).epsilon.isInfinite)
        #expect(throws: WardenError.invalidInput("")) {
            try RDPAccountant.epsilon(samplingRate: 1.5, noiseMultiplier: 1, steps: 1, delta: 1e-5)
        }
        #expect(throws: WardenError.invalidInput("")) {
            try RDPAccountant.epsilon(samplingRate: 0.1, noiseMultiplier: 1, steps: 1, delta: 0)
        }
    }

    /// PLD: dp-accounting's `pld_privacy_accountant.PLDAccountant()` (defaults: connect-the-dots,
    /// h = 1e-4) composing `SelfComposedDpEvent(PoissonSampledDpEvent(q, GaussianDpEvent(σ)), steps)`,
    /// then `get_epsilon(δ)`.
    @Test func pldMatchesDPAccounting() throws {
        let points: [(Double, Double, Int, Double)] = [
            (0.01, 1.1, 100, 0.5497650959332399),
            (0.001, 4.0, 1, 0.00043936613260709784),
            (0.1, 2.0, 100, 2.3374001924350662),
        ]
        for (q, sigma, steps, expected) in points {
            let eps = try PLDAccountant.epsilon(samplingRate: q, noiseMultiplier: sigma, steps: steps, delta: 1e-5)
            #expect(abs(eps / expected - 1) < 1e-4, "q=\(q) σ=\(sigma) steps=\(steps): \(eps) vs \(expected)")
            // Tighter than RDP.
            let rdp = try RDPAccountant.epsilon(samplingRate: q, noiseMultiplier: sigma, steps: steps, delta: 1e-5)
            #expect(eps < rdp.epsilon)
        }
    }

    @Test func fftConvolutionMatchesDirect() {
        let a = (0..<300).map { Double(($0 * 7919) % 101) / 101 }
        let b = (0..<200).map { Double(($0 * 104729) % 97) / 97 }
        let fast = FFTConvolution.convolve(a, b)
        let slow = FFTConvolution.direct(a, b)
        #expect(fast.count == slow.count)
        #expect(zip(fast, slow).allSatisfy { abs($0 - $1) < 1e-9 })
    }

    @Test func logErfcIsAccurateInTheTail() {
        // log(erfc(30)) = -903.974117110643878… (mpmath, 30 digits); continuous across the switch at 25.
        let below = NormalDistribution.logErfc(25 - 1e-9)
        let above = NormalDistribution.logErfc(25 + 1e-9)
        #expect(abs(below - above) < 1e-6)
        #expect(abs(NormalDistribution.logErfc(30) - (-903.974117110643878)) < 1e-9)
    }
}
