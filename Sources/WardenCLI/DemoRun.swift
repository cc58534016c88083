import Foundation
import WardenCore
import WardenCrypto
import WardenData
import WardenSBOM
import WardenScan

/// The stages of `warden demo`, each recording what it did and where its evidence is.
final class DemoRun {
    enum Status: String {
        case ok, failed, skipped
    }

    struct Step {
        var name: String
        var status: Status
        var detail: String
    }

    let root: String
    let quiet: Bool
    var steps: [Step] = []
    var artefacts: [(String, String)] = []

    init(root: String, quiet: Bool) {
        self.root = root
        self.quiet = quiet
    }

    var failed: Bool { steps.contains { $0.status == .failed } }

    static func makeTemporaryFolder() -> String {
        let path = (NSTemporaryDirectory() as NSString).appendingPathComponent("warden-demo-" + UUID().uuidString.prefix(8).lowercased())
        try? FileIO.makeDirectory(path)
        return path
    }

    func execute() async {
        let keys = root + "/keys"
        let model = root + "/model"
        let signature = root + "/model.sig"
        let provenance = root + "/model.provenance.json"
        var signingKey: SigningKey?

        step("keys") {
            let key = SigningKey(generating: .p256)
            try FileIO.makeDirectory(keys)
            try FileIO.writeAtomically(key.pkcs8PEMText, to: keys + "/private.pem", mode: 0o600)
            try FileIO.writeAtomically(key.publicKey.pemText, to: keys + "/public.pem")
            signingKey = key
            artefacts.append(("signing key", keys + "/private.pem"))
            artefacts.append(("public key", keys + "/public.pem"))
            return "generated a P-256 key pair (key id \(key.publicKey.keyID.prefix(16))…)"
        }
        step("data") {
            let repository = try DataRepository.open(containing: root, create: true, createAt: root)
            let raw = try DemoData.write(to: root + "/data")
            _ = try repository.track(raw, source: "generated", url: "warden-demo://seed/2024")
            let clean = root + "/data/train.csv"
            try DemoData.clean(raw, into: clean)
            _ = try repository.recordTransform(
                operation: "drop-incomplete-rows", parameters: ["column": "label"], inputs: [raw], outputs: [clean], command: nil)
            let added = try repository.add(clean, message: "demo training data")
            guard try repository.verify(clean).ok else { throw WardenError.internalError("the dataset does not verify") }
            let graph = try repository.provenance(of: clean)
            artefacts.append(("dataset (versioned)", clean))
            artefacts.append(("data audit chain", repository.audit.path))
            return "versioned train.csv \(added.pointer.digest.description.prefix(19))…, provenance: \(graph.sources.count) source, \(graph.steps.count) step; audit chain intact: \(try repository.audit.verify() == nil)"
        }
        step("data-protection") {
            try DemoRun.protectData(root: root, artefacts: &artefacts)
        }
        step("poisoning") { try DemoRun.scanForPoison(root: root, artefacts: &artefacts) }
        step("backdoor") { try DemoRun.scanForBackdoor(root: root, artefacts: &artefacts) }
        step("train") { try DemoRun.trainModel(root: root, artefacts: &artefacts) }
        step("robustness") { try DemoRun.attackModel(root: root, artefacts: &artefacts) }
        step("model") {
            guard let signingKey else { throw WardenError.internalError("no key") }
            // The model is built in-process (the native trainer will take this place) and the build
            // is attested: SLSA v1 provenance with the dataset as input and the model files as subjects.
            let run = ProvenanceRun(
                key: signingKey, inputs: [root + "/data/train.csv"], outputs: [model], parameters: [("seed", "2024")],
                step: .inProcess(name: "warden demo model generator", body: { try DemoModel.write(to: model) }))
            let (text, subjects) = try run.execute()
            try FileIO.writeAtomically(text, to: provenance)
            artefacts.append(("model", model))
            artefacts.append(("model provenance (SLSA)", provenance))
            return "built a model folder with \(DemoModel.fileCount) files; signed SLSA provenance with \(subjects.count) subjects"
        }
        step("attest") {
            let envelope = try AttestationVerifier.envelope(from: try FileIO.readAll(provenance), source: provenance)
            let file = model + "/weights/dense_0.bin"
            let report = try AttestationVerifier(key: try PublicKey(file: keys + "/public.pem"))
                .verify(envelope, source: provenance, files: [(file, try Digest.sha256(ofFile: file))])
            guard report.verified else { throw WardenError.internalError("the provenance attestation does not verify") }
            return "the provenance attestation verifies and names weights/dense_0.bin's digest"
        }
        step("sign") {
            guard let signingKey else { throw WardenError.internalError("no key") }
            let manifest = try ModelHasher(serialization: ModelSerialization()).manifest(for: model)
            let bundle = try ModelSigner(key: signingKey).sign(manifest)
            try FileIO.writeAtomically(bundle.jsonText, to: signature)
            artefacts.append(("model signature (OMS)", signature))
            return "signed \(manifest.resources.count) files, root \(manifest.rootDigest.description.prefix(23))…"
        }
        step("verify") {
            let report = try verify(model: model, signature: signature, keys: keys)
            guard report.verified else {
                throw WardenError.internalError("verification failed: \(report.failures.map(\.summary))")
            }
            return "signature and all \(report.resourceCount) file digests verify"
        }
        step("sbom") {
            let inventory = try ModelInventory.collect(model: model, datasets: [("train", root + "/data/train.csv")])
            let now = WardenClock.system.now()
            let cyclonedx = CycloneDXWriter(
                toolVersion: Warden.version, timestamp: WardenClock.rfc3339(now), serialNumber: "urn:uuid:" + UUID().uuidString.lowercased())
            try FileIO.writeAtomically(cyclonedx.document(for: inventory).prettyString(indent: 2) + "\n", to: root + "/model.cdx.json")
            var style = Date.ISO8601FormatStyle()
            style.timeZone = TimeZone(identifier: "UTC")!
            let spdx = SPDXWriter(toolVersion: Warden.version, created: now.formatted(style), namespace: "https://warden.dev/spdx/demo-" + UUID().uuidString.lowercased())
            try FileIO.writeAtomically(spdx.document(for: inventory).prettyString(indent: 2) + "\n", to: root + "/model.spdx.json")
            artefacts.append(("SBOM (CycloneDX 1.6)", root + "/model.cdx.json"))
            artefacts.append(("SBOM (SPDX 2.3)", root + "/model.spdx.json"))
            return "CycloneDX and SPDX SBOMs: \(inventory.files.count) files, \(inventory.dependencies.count) packages, the training dataset"
        }
        step("scan") { try DemoRun.scanModel(model: model, root: root, artefacts: &artefacts) }
        await registryStage(model: model, signature: signature, provenance: provenance, publicKey: keys + "/public.pem")
        await gatewayStage()
        step("tamper") {
            let target = model + "/weights/dense_1.bin"
            let handle = try FileHandle(forUpdating: URL(fileURLWithPath: target))
            try handle.seek(toOffset: 100)
            try handle.write(contentsOf: Data([0xFF]))
            try handle.close()
            let report = try verify(model: model, signature: signature, keys: keys)
            guard !report.verified else { throw WardenError.internalError("a tampered model verified") }
            return "flipped a byte in weights/dense_1.bin → verification fails: \(report.failures.map(\.summary).joined(separator: "; "))"
        }
        for (name, why) in DemoRun.notBuilt {
            steps.append(Step(name: name, status: .skipped, detail: why))
            if !quiet { Console.output("[skip] \(name): \(why)") }
        }
    }

    /// PII scan and pseudonymisation of a customer table, encryption at rest of the training set
    /// (round trip, then a flipped byte caught), a DP mean and a DP-SGD privacy budget.
    static func protectData(root: String, artefacts: inout [(String, String)]) throws -> String {
        let customers = root + "/data/customers.csv"
        let secrets = try DemoData.writeCustomers(to: customers)
        let scanner = PIIScanner()
        let found = try scanner.scan(customers)
        let masked = root + "/data/customers.masked.csv"
        let masker = try PIIMasker(mode: .pseudonym, pseudonymizer: PIIPseudonymizer(secret: Array("warden-demo-secret".utf8)))
        _ = try scanner.mask(customers, to: masked, masker: masker)
        let text = String(decoding: try FileIO.readAll(masked), as: UTF8.self)
        let left = secrets.filter { text.contains($0) }
        guard found.total >= secrets.count, left.isEmpty else { throw WardenError.internalError("masking left \(left.count) PII values") }

        let train = root + "/data/train.csv"
        let keyring = try Keyring.create(at: root + "/keyring")
        let encrypted = train + ".wenc"
        _ = try EncryptedFile.encrypt(train, to: encrypted, keyring: keyring)
        let restored = root + "/data/train.decrypted.csv"
        _ = try EncryptedFile.decrypt(encrypted, to: restored, keyring: keyring)
        guard try FileIO.readAll(restored) == FileIO.readAll(train) else { throw WardenError.internalError("decryption changed the data") }
        var tampered = try FileIO.readAll(encrypted)
        tampered[tampered.count / 2] ^= 1
        let tamperedPath = root + "/data/train.tampered.wenc"
        try FileIO.writeAtomically(tampered, to: tamperedPath)
        var caught = false
        do { _ = try EncryptedFile.decrypt(tamperedPath, to: root + "/data/never.csv", keyring: keyring) } catch is EncryptedFile.AuthenticationFailure { caught = true }
        guard caught else { throw WardenError.internalError("a tampered ciphertext decrypted") }

        var aggregator = try DPAggregator(statistic: .mean, epsilon: 1, lower: 0, upper: 1)
        _ = try DPColumnReader.read(train, column: "f0", into: &aggregator)
        let release = try aggregator.release(column: "f0")
        let budget = try RDPAccountant.epsilon(samplingRate: 0.01, noiseMultiplier: 1.1, steps: 10_000, delta: 1e-5)
        artefacts.append(("PII-pseudonymised table", masked))
        artefacts.append(("encrypted dataset", encrypted))
        artefacts.append(("keyring", keyring.directory))
        return "PII: \(found.total) values found in customers.csv, none left after keyed HMAC pseudonyms; train.csv encrypted (AES-256-GCM STREAM, key \(keyring.currentID)), round trip equal, flipped byte caught; DP mean of f0 (ε = 1) = \(String(format: "%.3f", release.value ?? .nan)); DP-SGD q = 0.01, σ = 1.1, 10 000 steps → ε = \(String(format: "%.2f", budget.epsilon)) at δ = 1e-5"
    }

    /// Scans the demo model (clean), then a planted pickle that calls posix.system (caught).
    static func scanModel(model: String, root: String, artefacts: inout [(String, String)]) throws -> String {
        let scanner = WardenScan.Scanner()
        let clean = try scanner.scan(path: model)
        guard !clean.failed else { throw WardenError.internalError("the demo model was flagged: \(clean.findings.map(\.rule))") }
        // protocol 2: GLOBAL posix.system, ('echo warden-demo',), REDUCE, STOP — never unpickled.
        let planted = root + "/planted/pytorch_model.bin"
        try FileIO.makeDirectory(root + "/planted")
        try FileIO.writeAtomically([0x80, 0x02] + Array("cposix\nsystem\n".utf8) + [0x8c, 16] + Array("echo warden-demo".utf8) + [0x85, 0x52, 0x2e], to: planted)
        let caught = try scanner.scan(path: planted)
        guard caught.failed, let finding = caught.findings.first else { throw WardenError.internalError("the planted pickle was not caught") }
        let report = root + "/scan.sarif"
        try FileIO.writeAtomically(SARIFWriter().document(for: caught).prettyString(indent: 2) + "\n", to: report)
        artefacts.append(("scan report (SARIF)", report))
        return "model folder: \(clean.files.count) files, none unsafe; planted pytorch_model.bin → \(finding.severity) \(finding.rule) '\(finding.construct ?? "")'"
    }

    func verify(model: String, signature: String, keys: String) throws -> ModelVerificationReport {
        let key = try PublicKey(file: keys + "/public.pem")
        let bundle = try SigstoreBundle(parsing: try FileIO.readAll(signature), source: signature)
        return try ModelVerifier(key: key).verify(modelAt: model, bundle: bundle, source: signature)
    }

    /// Stages of the capstone whose capability has not landed yet.
    static let notBuilt: [(String, String)] = [
        ("gateway-detectors", "extraction (PRADA) and adversarial detection in the gateway are not built yet"),
    ]

    func step(_ name: String, _ body: () throws -> String) {
        do {
            let detail = try body()
            steps.append(Step(name: name, status: .ok, detail: detail))
            if !quiet { Console.output("[ ok ] \(name): \(detail)") }
        } catch {
            steps.append(Step(name: name, status: .failed, detail: "\(error)"))
            if !quiet { Console.output("[FAIL] \(name): \(error)") }
        }
    }

    var summaryJSON: JSONValue {
        .object([
            ("folder", .string(root)),
            ("ok", .bool(!failed)),
            (
                "steps",
                .array(steps.map { .object([("name", .string($0.name)), ("status", .string($0.status.rawValue)), ("detail", .string($0.detail))]) })
            ),
            ("artefacts", .object(artefacts.map { ($0.0, .string($0.1)) })),
        ])
    }
}

/// The generated demo model: a small MLP's weights as float32 files, a config and requirements.
enum DemoModel {
    static let fileCount = 4

    static func write(to folder: String) throws {
        try FileIO.makeDirectory(folder + "/weights")
        var state: UInt64 = 2024
        func weights(_ count: Int) -> [UInt8] {
            var out = [UInt8]()
            out.reserveCapacity(count * 4)
            for _ in 0..<count {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                let value = Float(Int64(bitPattern: state >> 11) % 2000 - 1000) / 10000
                withUnsafeBytes(of: value.bitPattern.littleEndian) { out.append(contentsOf: $0) }
            }
            return out
        }
        try FileIO.writeAtomically(weights(64 * 128), to: folder + "/weights/dense_0.bin")
        try FileIO.writeAtomically(weights(128 * 10), to: folder + "/weights/dense_1.bin")
        try FileIO.writeAtomically(
            #"{"architectures": ["MLP"], "model_type": "mlp", "hidden_sizes": [128], "num_labels": 10, "transformers_version": "4.44.0"}"# + "\n",
            to: folder + "/config.json")
        try FileIO.writeAtomically("numpy==1.26.4\ntorch==2.3.1\nscikit-learn==1.5.1\n", to: folder + "/requirements.txt")
    }
}

/// The generated demo dataset: a small tabular set with a label column and a few incomplete rows.
enum DemoData {
    static func write(to folder: String) throws -> String {
        try FileIO.makeDirectory(folder)
        var state: UInt64 = 7
        func next() -> Double {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Double(state >> 11) / Double(1 << 53)
        }
        var text = "id,f0,f1,f2,f3,label\n"
        for id in 0..<200 {
            let features = (0..<4).map { _ in String(format: "%.4f", next()) }
            let label = id % 37 == 5 ? "" : (next() < 0.5 ? "0" : "1")
            text += "\(id),\(features.joined(separator: ",")),\(label)\n"
        }
        let path = folder + "/raw.csv"
        try FileIO.writeAtomically(text, to: path)
        return path
    }

    /// A small customer table with the kinds of PII the detectors know (all values synthetic;
    /// the card and IBAN numbers are standard test numbers).
    /// Returns the sensitive values written.
    static func writeCustomers(to path: String) throws -> [String] {
        let rows = [
            ["1", "Ada", "ada.lovelace@example.com", "+1 415 555 2671", "4111 1111 1111 1111", "GB82 WEST 1234 5698 7654 32", "10.0.4.17"],
            ["2", "Alan", "alan.turing@example.org", "(646) 872-1943", "5500 0000 0000 0004", "DE89 3704 0044 0532 0130 00", "192.168.1.20"],
            ["3", "Grace", "grace@example.net", "+44 20 7946 0958", "3400 0000 0000 009", "FR14 2004 1010 0505 0001 3M02 606", "2001:db8::1"],
        ]
        let text = "id,name,email,phone,card,iban,ip\n" + rows.map { $0.joined(separator: ",") }.joined(separator: "\n") + "\n"
        try FileIO.writeAtomically(text, to: path)
        return rows.flatMap { $0.dropFirst(2) }
    }

    /// Drops rows whose label is empty (the recorded transformation).
    static func clean(_ raw: String, into output: String) throws {
        var kept: [String] = []
        try FileIO.forEachLine(of: raw) { line, _ in
            let text = String(decoding: line, as: UTF8.self)
            if !text.hasSuffix(",") { kept.append(text) }
        }
        try FileIO.writeAtomically(kept.joined(separator: "\n") + "\n", to: output)
    }
}
