import ArgumentParser
import Foundation
import WardenAnalysis
import WardenCore
import WardenModels

/// `warden attack`: adversarial examples against an ONNX classifier on a labelled CSV table.
struct AttackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "attack",
        abstract: "Attack an ONNX classifier with adversarial examples and measure its robustness.",
        discussion: """
            Inputs are taken as they are in the file (no rescaling) and every adversarial example is \
            clipped to --clip (default 0,1); a value outside that range is an error naming the row.
            White-box attacks differentiate the model through Warden's ONNX runtime: fgsm, pgd (L∞ or \
            --norm 2, --random-start, --restarts), cw (Carlini–Wagner L2) and deepfool (L2). Black-box \
            attacks only query the model: hopskipjump (decisions, L2) and square (scores, L∞).
            fgsm, pgd and square work within --eps; cw, deepfool and hopskipjump look for the smallest \
            perturbation and ignore it.

            With --endpoint URL --model-name NAME (and --token T, else WARDEN_TOKEN), the black-box \
            attacks query an Open Inference Protocol server instead of a file — `warden serve --model`, \
            KServe, Triton: POST /v2/models/NAME/infer with the rows as one FP32 tensor, 64 rows per \
            request; queries_median counts rows sent. --model is then optional (only its class names are \
            used; else labels are class numbers 0…C−1). A 429 is retried after its Retry-After (up to \
            10 s, 5 times); an unreachable endpoint, 401/403 and 404 are one-line errors.

            JSON keys: clean_accuracy, robust_accuracy (accuracy on the adversarial rows), success_rate \
            (share of correctly classified rows whose prediction changed), median_l2 and median_linf \
            (over successful rows), queries_median (black-box), n, seconds.

            Example:
              warden attack --model digits.onnx --data digits-test.csv --label label --attack pgd --eps 0.1 --steps 40 --random-start
              warden attack --model digits.onnx --data digits-test.csv --label label --attack cw --limit 100 --json
              warden attack --model digits.onnx --data digits-test.csv --label label --attack square --eps 0.1 --steps 500 --save-adversarial adv.csv
              warden attack --endpoint http://127.0.0.1:8080 --model-name digits --token "$WARDEN_TOKEN" --data digits-test.csv --label label --attack square --eps 0.1 --steps 500 --limit 50
            """
    )

    @OptionGroup var input: ModelDataOptions
    @Option(help: "fgsm, pgd, cw, deepfool, hopskipjump or square.") var attack: AttackSettings.Kind
    @Option(help: "Perturbation budget ε (fgsm, pgd, square).") var eps: Float = 0.1
    @Option(help: "inf or 2 (default: inf for fgsm, pgd, square; 2 for cw, deepfool, hopskipjump).") var norm: AttackSettings.Norm?
    @Option(help: "Iterations (pgd 40, cw 100 per constant, deepfool 50, hopskipjump 20, square 1000 queries).") var steps: Int?
    @Option(help: "PGD step size (default 2.5·ε/steps).") var stepSize: Float?
    @Flag(help: "PGD: start from a random point in the ε-ball.") var randomStart = false
    @Option(help: "PGD runs; a row keeps the first that fools the model.") var restarts: Int = 1
    @Option(help: "C&W binary-search steps over the constant.") var binarySearchSteps: Int = 5
    @Option(help: "C&W Adam learning rate.") var learningRate: Float = 0.01
    @Option(help: "C&W initial constant.") var initialConstant: Float = 0.01
    @Option(help: "DeepFool overshoot.") var overshoot: Float = 0.02
    @Option(help: "HopSkipJump: maximum gradient-estimation queries per iteration.") var maxEvaluations: Int = 1000
    @Option(help: "Rows attacked together.") var batch: Int = 256
    @Option(help: "Write the adversarial rows (same columns as the data) to this CSV file.") var saveAdversarial: String?
    @Option(help: "An Open Inference Protocol server to attack instead of --model (hopskipjump, square).") var endpoint: String?
    @Option(help: "The model's name at --endpoint.") var modelName: String?
    @Option(help: "Bearer token for --endpoint (else WARDEN_TOKEN).") var token: String?
    @OptionGroup var output: OutputOptions

    func settings() throws -> AttackSettings {
        var settings = AttackSettings(kind: attack)
        settings.epsilon = eps
        if let norm { settings.norm = norm }
        settings.steps = steps
        settings.stepSize = stepSize
        settings.randomStart = randomStart
        settings.restarts = restarts
        (settings.clipLower, settings.clipUpper) = (input.clip.lower, input.clip.upper)
        settings.seed = input.seed
        settings.binarySearchSteps = binarySearchSteps
        settings.learningRate = learningRate
        settings.initialConstant = initialConstant
        settings.overshoot = overshoot
        settings.maximumEvaluations = maxEvaluations
        settings.initialEvaluations = min(settings.initialEvaluations, maxEvaluations)
        try settings.validate()
        return settings
    }

    func run() throws {
        let settings = try settings()
        guard let endpoint else { return try attack(try input.load(), settings: settings, target: "'\(input.data)'") }
        guard !attack.isWhiteBox else {
            throw ValidationError("--endpoint answers queries only; \(attack.rawValue) needs gradients: use --attack hopskipjump or square")
        }
        guard let modelName else { throw ValidationError("--endpoint needs --model-name NAME (the model's name in /v2/models/NAME)") }
        let classifier = try OIPClassifier(endpoint: endpoint, model: modelName, token: token ?? ProcessInfo.processInfo.environment["WARDEN_TOKEN"])
        let names = try input.model.map { try TabularPredictor(model: try ONNXModel(contentsOf: $0)) }
        let loaded = try input.load(classifier, named: "\(modelName) at \(endpoint)", classes: names?.classes, features: names?.featureNames)
        try attack(loaded, settings: settings, target: "'\(input.data)' via \(endpoint)")
    }

    func attack(_ loaded: LoadedModelData<some QueryableClassifier>, settings: AttackSettings, target: String) throws {
        let runner = try AdversarialAttack(settings: settings, batchSize: batch)
        let bar = ProgressBar(label: "\(attack.rawValue)", unit: .items("rows"), enabled: !output.quiet && !output.json)
        let outcome = try runner.run(on: loaded.model, features: loaded.features, labels: loaded.labels, source: "'\(input.data)'") {
            bar.update(done: Int64($0), total: Int64(loaded.labels.count))
        }
        bar.finish()
        if let saveAdversarial { try loaded.writeCSV(outcome.adversarial, to: saveAdversarial) }
        let report = outcome.report
        if output.json {
            try Console.json(report)
            return
        }
        let budget = report.epsilon.map { String(format: " ε=%g", $0) } ?? ""
        Console.output("\(attack.rawValue) (\(settings.norm == .inf ? "L∞" : "L2")\(budget)) on \(report.n) rows of \(target) in \(String(format: "%.2f", report.seconds)) s")
        Console.output(String(format: "  clean accuracy %.2f%%, robust accuracy %.2f%%, success rate %.2f%%", report.cleanAccuracy * 100, report.robustAccuracy * 100, report.successRate * 100))
        if let l2 = report.medianL2, let linf = report.medianLinf { Console.output(String(format: "  median perturbation: L2 %.4f, L∞ %.4f", l2, linf)) }
        if let queries = report.queriesMedian { Console.output(String(format: "  median queries %.0f", queries)) }
        if let saveAdversarial { Console.output("  wrote the adversarial rows to \(saveAdversarial)") }
    }
}

extension AttackSettings.Kind: ExpressibleByArgument {}
extension AttackSettings.Norm: ExpressibleByArgument {}
