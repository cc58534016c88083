import ArgumentParser
import Foundation
import WardenCore

/// `warden registry …`: the client of a `warden serve` registry.
struct RegistryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "registry",
        abstract: "Push, pull, approve, promote and roll back model versions on a Warden registry.",
        discussion: """
            The server and token come from --server/--token, else WARDEN_SERVER/WARDEN_TOKEN, else \
            what `warden registry login` saved (~/.config/warden/credentials.json, mode 0600; \
            WARDEN_CONFIG_DIR moves it).

            Exit codes: 0 ok · 1 refused (a failed gate — each is named —, a denied or \
            unauthenticated request) · 2 bad input (unknown model or version, unreachable server) \
            · 3 server or internal error.

            Example:
              warden registry login --server http://127.0.0.1:8080 --token "$WARDEN_TOKEN"
              warden registry push fraud ./model --signature model.sig --provenance model.provenance.json
              warden registry approve fraud 1
              warden registry promote fraud 1 --to production
              warden registry pull fraud --alias production --out ./deployed
            """,
        subcommands: [
            Login.self, Push.self, Pull.self, List.self, Show.self, Promote.self, Approve.self, Rollback.self, TokenCommand.self, Rekey.self,
        ]
    )
}

/// Where to reach the registry and as whom.
struct ServerOptions: ParsableArgumentsSendable {
    @Option(help: "Registry URL (else WARDEN_SERVER or the saved login).") var server: String?
    @Option(help: "API token wdn_… (else WARDEN_TOKEN or the saved login).") var token: String?
    @Option(help: "File holding the API token.") var tokenFile: String?

    init() {}

    func client() throws -> RegistryClient {
        let environment = ProcessInfo.processInfo.environment
        let saved = try? RegistryCredentials.load()
        var token = token ?? environment["WARDEN_TOKEN"]
        if let tokenFile {
            token = String(decoding: try FileIO.readAll(tokenFile, limit: 4096), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        guard let server = server ?? environment["WARDEN_SERVER"] ?? saved?.server else {
            throw ValidationError("No registry given: pass --server URL, set WARDEN_SERVER, or run `warden registry login`")
        }
        guard let token = token ?? saved?.token else {
            throw ValidationError("No token given: pass --token, set WARDEN_TOKEN, or run `warden registry login`")
        }
        return try RegistryClient(server: server, token: token)
    }
}

/// `warden registry login` writes these; the other commands read them.
struct RegistryCredentials: Sendable {
    var server: String
    var token: String

    static var path: String {
        let environment = ProcessInfo.processInfo.environment
        if let folder = environment["WARDEN_CONFIG_DIR"] { return folder + "/credentials.json" }
        let base = environment["XDG_CONFIG_HOME"] ?? (NSHomeDirectory() + "/.config")
        return base + "/warden/credentials.json"
    }

    static func load() throws -> RegistryCredentials {
        let json = try JSONParser().parse(try FileIO.readAll(path, limit: 1 << 16), source: path)
        guard let server = json["server"]?.stringValue, let token = json["token"]?.stringValue else {
            throw WardenError.invalidInput("'\(path)' has no server and token; run `warden registry login` again")
        }
        return RegistryCredentials(server: server, token: token)
    }

    func save() throws {
        try FileIO.makeDirectory(FileIO.parentDirectory(of: Self.path), mode: 0o700)
        try FileIO.writeAtomically(
            (["server": .string(server), "token": .string(token)] as JSONValue).prettyString(indent: 2) + "\n", to: Self.path, mode: 0o600)
    }
}

extension RegistryCommand {
    /// Runs a registry call, turning the server's refusals into the documented exit codes.
    static func run(json: Bool, _ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let failure as RegistryClient.Failure {
            if json {
                Console.json(["ok": false, "status": .int(Int64(failure.status)), "error_code": .string(failure.code), "message": .string(failure.message)] as JSONValue)
            } else if failure.code == "GATES_FAILED" {
                Console.error("refused: \(failure.message)")
            } else {
                Console.error("error: \(failure)")
            }
            throw ExitCode(failure.exitCode)
        }
    }

    struct Login: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "login",
            abstract: "Check a token against a registry and save both for the other commands (mode 0600).",
            discussion: """
                Example:
                  warden registry login --server http://127.0.0.1:8080 --token-file token.txt
                """
        )
        @OptionGroup var connection: ServerOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let client = try connection.client()
            try await RegistryCommand.run(json: output.json) {
                let me = try await client.call(.GET, "/whoami")
                try RegistryCredentials(server: client.server, token: client.token).save()
                if output.json {
                    Console.json(["ok": true, "server": .string(client.server), "principal": me, "saved": .string(RegistryCredentials.path)] as JSONValue)
                } else {
                    let roles = me["roles"]?.arrayValue?.compactMap(\.stringValue).joined(separator: ", ") ?? ""
                    Console.output("Logged in to \(client.server) as '\(me["name"]?.stringValue ?? "?")' (roles: \(roles.isEmpty ? "none, grants only" : roles)); saved \(RegistryCredentials.path)")
                }
            }
        }
    }

    struct Push: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "push",
            abstract: "Upload a model file or folder as a new immutable version (the model is created if new).",
            discussion: """
                Every file is streamed with a progress bar and stored by digest; the signature (OMS \
                bundle from `warden model sign`) and provenance (DSSE from `warden run`) are checked \
                by the server against its trusted keys and recorded with the version.

                Example:
                  warden registry push fraud ./model --signature model.sig --provenance model.provenance.json
                """
        )
        @Argument(help: "Model name.") var model: String
        @Argument(help: "A model file or folder.") var path: String
        @Option(help: "OMS signature bundle of the model.") var signature: String?
        @Option(help: "Provenance attestation (DSSE JSON).") var provenance: String?
        @Option(help: "Digest (sha256:…) of the training dataset.") var dataset: String?
        @Option(help: "The version this one derives from.") var parent: Int?
        @Option(help: "Free text kept with the version.") var description: String?
        @OptionGroup var connection: ServerOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let client = try connection.client()
            let files: [(relativePath: String, absolutePath: String, size: Int64)]
            switch FileIO.kind(of: path) {
            case .regular:
                files = [(FileIO.lastComponent(of: path), path, try FileIO.size(of: path))]
            case .directory:
                files = try FileTree().files(under: path).map { ($0.relativePath, $0.absolutePath, $0.size) }
            default:
                throw ValidationError("'\(path)' is not a file or folder")
            }
            guard !files.isEmpty else { throw ValidationError("'\(path)' holds no files") }
            if let dataset { _ = try Digest(parsing: dataset) }
            try await RegistryCommand.run(json: output.json) {
                do {
                    try await client.call(.GET, RegistryClient.modelPath(model))
                } catch let failure as RegistryClient.Failure where failure.status == 404 {
                    try await client.call(.POST, "/models", json: ["name": .string(model)])
                }
                let total = files.reduce(0) { $0 + $1.size }
                let bar = ProgressBar(label: "uploading", enabled: !output.quiet)
                var done: Int64 = 0
                var artefacts: [JSONValue] = []
                for file in files {
                    let before = done
                    let digest = try await client.upload(file: file.absolutePath) { bar.update(done: before + $0, total: total) }
                    done += file.size
                    artefacts.append(["path": .string(file.relativePath), "digest": .string(digest.description)])
                }
                var body: [(String, JSONValue)] = [("artefacts", .array(artefacts))]
                if let signature {
                    body.append(("signature", .string(try await client.upload(file: signature) { _ in }.description)))
                }
                if let provenance {
                    body.append(("provenance", .string(try await client.upload(file: provenance) { _ in }.description)))
                }
                bar.finish()
                if let dataset { body.append(("dataset", .string(dataset))) }
                if let parent { body.append(("parent", .int(Int64(parent)))) }
                if let description { body.append(("description", .string(description))) }
                let version = try await client.call(.POST, RegistryClient.modelPath(model, "/versions"), json: .object(body))
                if output.json {
                    Console.json(version)
                } else {
                    Console.output("Pushed \(model) version \(version["version"]?.intValue ?? 0): \(files.count) file(s), \(ByteCount.format(total))")
                    Console.output(RegistryCommand.checksText(version))
                }
            }
        }
    }

    /// "signature: verified …; provenance: …; scan: …" for a version.
    static func checksText(_ version: JSONValue) -> String {
        func check(_ name: String) -> String {
            guard let value = version[name], value != .null else { return "\(name): none" }
            return "\(name): \(value["passed"]?.boolValue == true ? "ok" : "FAILED") (\(value["detail"]?.stringValue ?? ""))"
        }
        var scan = "scan: not scanned"
        if let value = version["scan"], value != .null {
            scan = "scan: \(value["findings"]?.intValue ?? 0) finding(s), highest \(value["highest_severity"]?.stringValue ?? "none")"
        }
        return [check("signature"), check("provenance"), scan].joined(separator: "\n")
    }

    /// Which version a command means: `--version N`, `--alias A`, or the latest.
    struct VersionChoice: ParsableArgumentsSendable {
        @Option(help: "Version number (default: the latest).") var version: Int?
        @Option(help: "An alias such as production.") var alias: String?

        init() {}

        func resolve(_ model: String, client: RegistryClient) async throws -> JSONValue {
            switch (version, alias) {
            case (let number?, nil): return try await client.call(.GET, RegistryClient.modelPath(model, "/versions/\(number)"))
            case (nil, let alias?): return try await client.call(.GET, RegistryClient.modelPath(model, "/aliases/\(RegistryClient.percentEncoded(alias))"))
            case (nil, nil):
                let list = try await client.call(.GET, RegistryClient.modelPath(model, "/versions"))["versions"]?.arrayValue ?? []
                guard let last = list.last else { throw WardenError.notFound("'\(model)' has no versions yet") }
                return last
            default: throw ValidationError("Give --version or --alias, not both")
            }
        }
    }

    struct Pull: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "pull",
            abstract: "Download a version's files into a folder; each is verified against its recorded digest.",
            discussion: """
                Example:
                  warden registry pull fraud --alias production --out ./deployed
                  warden registry pull fraud --version 3 --out ./v3 --json
                """
        )
        @Argument(help: "Model name.") var model: String
        @OptionGroup var choice: VersionChoice
        @Option(help: "Folder to write the files into (created).") var out: String
        @OptionGroup var connection: ServerOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let client = try connection.client()
            try await RegistryCommand.run(json: output.json) {
                let version = try await choice.resolve(model, client: client)
                guard let number = version["version"]?.intValue, let artefacts = version["artefacts"]?.arrayValue else {
                    throw WardenError.internalError("The registry's answer has no version or artefacts")
                }
                let items = try artefacts.map { try FileDigest(json: $0, source: "the registry's answer") }
                for item in items where !Self.isSafe(item.path) {
                    throw WardenError.invalidInput("The registry named an unsafe path '\(item.path.prefix(100))'; nothing was written")
                }
                let total = items.reduce(0) { $0 + $1.size }
                let bar = ProgressBar(label: "downloading", enabled: !output.quiet)
                var done: Int64 = 0
                for item in items {
                    let before = done
                    let encoded = item.path.split(separator: "/").map { RegistryClient.percentEncoded(String($0)) }.joined(separator: "/")
                    try await client.download(
                        RegistryClient.modelPath(model, "/versions/\(number)/artefacts/\(encoded)"), to: out + "/" + item.path, expected: item.digest
                    ) { bar.update(done: before + $0, total: total) }
                    done += item.size
                }
                bar.finish()
                if output.json {
                    Console.json(["ok": true, "model": .string(model), "version": .int(number), "folder": .string(out), "files": .array(items.map(\.json))] as JSONValue)
                } else {
                    Console.output("Pulled \(model) version \(number) into \(out): \(items.count) file(s), \(ByteCount.format(total)), every digest verified")
                }
            }
        }

        static func isSafe(_ path: String) -> Bool {
            !path.isEmpty && !path.hasPrefix("/") && !path.utf8.contains(0)
                && path.split(separator: "/", omittingEmptySubsequences: false).allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List the models you may read.",
            discussion: """
                Example:
                  warden registry list --json
                """
        )
        @OptionGroup var connection: ServerOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let client = try connection.client()
            try await RegistryCommand.run(json: output.json) {
                let models = try await client.call(.GET, "/models")
                if output.json { return Console.json(models) }
                let list = models["models"]?.arrayValue ?? []
                if list.isEmpty { Console.output("No models") }
                for model in list {
                    let description = model["description"]?.stringValue ?? ""
                    Console.output("\(model["name"]?.stringValue ?? "?")\(description.isEmpty ? "" : "  — \(description)")")
                }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "Show a model: its aliases and versions with their checks, or one version.",
            discussion: """
                Example:
                  warden registry show fraud
                  warden registry show fraud --version 2 --json
                """
        )
        @Argument(help: "Model name.") var model: String
        @Option(help: "Only this version.") var version: Int?
        @OptionGroup var connection: ServerOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let client = try connection.client()
            try await RegistryCommand.run(json: output.json) {
                if let version {
                    let answer = try await client.call(.GET, RegistryClient.modelPath(model, "/versions/\(version)"))
                    if output.json { return Console.json(answer) }
                    Console.output("\(model) version \(version), uploaded by \(answer["uploader"]?.stringValue ?? "?")")
                    for artefact in answer["artefacts"]?.arrayValue ?? [] {
                        Console.output("  \(artefact["path"]?.stringValue ?? "?")  \(artefact["digest"]?.stringValue ?? "")  \(ByteCount.format(artefact["size"]?.intValue ?? 0))")
                    }
                    return Console.output(RegistryCommand.checksText(answer))
                }
                let info = try await client.call(.GET, RegistryClient.modelPath(model))
                let versions = try await client.call(.GET, RegistryClient.modelPath(model, "/versions"))
                let aliases = try await client.call(.GET, RegistryClient.modelPath(model, "/aliases"))
                if output.json {
                    return Console.json(["model": info, "versions": versions["versions"] ?? [], "aliases": aliases["aliases"] ?? [:], "history": aliases["history"] ?? []] as JSONValue)
                }
                Console.output("\(model)\(info["description"]?.stringValue.map { $0.isEmpty ? "" : " — \($0)" } ?? "")")
                let current = aliases["aliases"]?.objectValue ?? []
                Console.output("aliases: " + (current.isEmpty ? "none" : current.map { "\($0.0) → \($0.1.intValue ?? 0)" }.joined(separator: ", ")))
                for item in versions["versions"]?.arrayValue ?? [] {
                    let checks = ["signature", "provenance"].map { name in "\(name) \(item[name]?["passed"]?.boolValue == true ? "ok" : "-")" }
                    let scan = item["scan"].flatMap { $0 == .null ? nil : $0 }.map { "scan \($0["highest_severity"]?.stringValue ?? "clean")" } ?? "not scanned"
                    Console.output("  v\(item["version"]?.intValue ?? 0)  by \(item["uploader"]?.stringValue ?? "?")  \(checks.joined(separator: ", ")), \(scan)")
                }
            }
        }
    }

    struct Promote: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "promote",
            abstract: "Point an alias at a version through its gates; exit 1 naming each failed gate.",
            discussion: """
                Example:
                  warden registry promote fraud 3 --to production --reason "passed shadow test"
                """
        )
        @Argument(help: "Model name.") var model: String
        @Argument(help: "Version number.") var version: Int
        @Option(help: "The alias to move (staging, production, …).") var to: String
        @Option(help: "Why (kept in the alias history).") var reason: String?
        @OptionGroup var connection: ServerOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let client = try connection.client()
            try await RegistryCommand.run(json: output.json) {
                let move = try await client.call(
                    .PUT, RegistryClient.modelPath(model, "/aliases/\(RegistryClient.percentEncoded(to))"),
                    json: ["version": .int(Int64(version)), "reason": .string(reason ?? "")])
                if output.json { return Console.json(move) }
                let from = move["from"]?.intValue.map { "version \($0)" } ?? "nothing"
                Console.output("\(model)@\(to) → version \(version) (was \(from))")
            }
        }
    }

    struct Approve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "approve",
            abstract: "Approve a version as a reviewer (never your own upload).",
            discussion: """
                Example:
                  warden registry approve fraud 3 --comment "checked the eval report"
                """
        )
        @Argument(help: "Model name.") var model: String
        @Argument(help: "Version number.") var version: Int
        @Option(help: "A note kept with the approval.") var comment: String?
        @OptionGroup var connection: ServerOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let client = try connection.client()
            try await RegistryCommand.run(json: output.json) {
                let approval = try await client.call(
                    .POST, RegistryClient.modelPath(model, "/versions/\(version)/approve"), json: ["comment": .string(comment ?? "")])
                if output.json { return Console.json(approval) }
                Console.output("Approved \(model) version \(version) as '\(approval["reviewer"]?.stringValue ?? "?")'")
            }
        }
    }

    struct Rollback: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rollback",
            abstract: "Move an alias back to the version it pointed to before its last move (gates apply).",
            discussion: """
                Example:
                  warden registry rollback fraud production
                """
        )
        @Argument(help: "Model name.") var model: String
        @Argument(help: "Alias.") var alias: String
        @OptionGroup var connection: ServerOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let client = try connection.client()
            try await RegistryCommand.run(json: output.json) {
                let move = try await client.call(.POST, RegistryClient.modelPath(model, "/aliases/\(RegistryClient.percentEncoded(alias))/rollback"))
                if output.json { return Console.json(move) }
                Console.output("\(model)@\(alias) rolled back to version \(move["to"]?.intValue ?? 0) (from \(move["from"]?.intValue ?? 0))")
            }
        }
    }

    struct TokenCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "token",
            abstract: "Create and revoke API tokens (admins).",
            discussion: """
                Example:
                  warden registry token create --server http://127.0.0.1:8080 --token "$ADMIN" --role reviewer --name bob --model fraud
                  warden registry token revoke 3f9c2a1b7d4e
                """,
            subcommands: [Create.self, Revoke.self]
        )

        struct Create: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "create",
                abstract: "Make a token for a principal (created if new) and print it; it is shown only once.",
                discussion: """
                    Without --model the role is global; with --model (repeatable; names or prefix*) \
                    it is granted on those models only.

                    Example:
                      warden registry token create --role maintainer --name ci --model "fraud*" --expires-days 90
                    """
            )
            @Option(help: "admin, maintainer, reviewer, reader or inference-client.") var role: String
            @Option(help: "The principal's name.") var name: String
            @Option(help: "Grant the role on this model only (repeatable; prefix* allowed).") var model: [String] = []
            @Option(help: "Principal attribute KEY=VALUE, e.g. team=risk (repeatable).") var attribute: [String] = []
            @Option(help: "Days until the token expires (default: never).") var expiresDays: Int?
            @OptionGroup var connection: ServerOptions
            @OptionGroup var output: OutputOptions

            func run() async throws {
                let client = try connection.client()
                var attributes: [(String, JSONValue)] = []
                for item in attribute {
                    let parts = item.split(separator: "=", maxSplits: 1)
                    guard parts.count == 2 else { throw ValidationError("The attribute '\(item)' is not KEY=VALUE") }
                    attributes.append((String(parts[0]), .string(String(parts[1]))))
                }
                var body: [(String, JSONValue)] = [("name", .string(name)), ("role", .string(role)), ("models", .array(model.map { .string($0) }))]
                body.append(("attributes", .object(attributes)))
                if let expiresDays { body.append(("expires_in_days", .int(Int64(expiresDays)))) }
                try await RegistryCommand.run(json: output.json) {
                    let answer = try await client.call(.POST, "/tokens", json: .object(body))
                    if output.json { return Console.json(answer) }
                    Console.output(answer["token"]?.stringValue ?? "")
                    Console.error("token id \(answer["id"]?.stringValue ?? "?") for '\(name)' (\(role)\(model.isEmpty ? "" : " on \(model.joined(separator: ", "))")); it is not shown again")
                }
            }
        }

        struct Revoke: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                commandName: "revoke",
                abstract: "Revoke a token by its id (the 12 hex digits after wdn_).",
                discussion: """
                    Example:
                      warden registry token revoke 3f9c2a1b7d4e
                    """
            )
            @Argument(help: "Token id, or the whole token.") var id: String
            @OptionGroup var connection: ServerOptions
            @OptionGroup var output: OutputOptions

            func run() async throws {
                let client = try connection.client()
                let tokenID = id.hasPrefix("wdn_") ? String(id.dropFirst(4).prefix(12)) : id
                try await RegistryCommand.run(json: output.json) {
                    let answer = try await client.call(.DELETE, "/tokens/\(RegistryClient.percentEncoded(tokenID))")
                    if output.json { return Console.json(answer) }
                    Console.output("Revoked token \(tokenID) of '\(answer["principal"]?.stringValue ?? "?")'")
                }
            }
        }
    }
}
