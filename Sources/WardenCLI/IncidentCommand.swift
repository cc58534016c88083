import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import WardenCore

/// `warden incident …`: the people's side of the gateway's alerts — list and inspect incidents
/// (with the playbook actions taken), block and unblock clients, roll a model's alias back, and
/// end a fallback — over the server's `/v2/guard` admin API.
struct IncidentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "incident",
        abstract: "List and inspect the gateway's incidents; block or unblock a client, roll an alias back, end a fallback.",
        discussion: """
            Talks to a running `warden serve` (its /v2/guard API). The server and token come from \
            --server/--token, else WARDEN_SERVER/WARDEN_TOKEN, else `warden registry login`. Listing \
            and showing need the admin or reviewer role; the other commands the admin role. Every \
            call is in the server's audit chain.

            Exit codes: 0 ok · 1 refused (401/403/409) · 2 bad input (unknown incident, client not \
            blocked, unreachable server) · 3 server or internal error.

            Example:
              warden incident list --server http://127.0.0.1:8080 --token "$WARDEN_TOKEN"
              warden incident show i3 --json
              warden incident block app-7 --reason "scraping" --minutes 60
              warden incident unblock app-7
              warden incident rollback fraud --alias production
              warden incident restore digits
            """,
        subcommands: [List.self, Show.self, Block.self, Unblock.self, Rollback.self, Restore.self]
    )

    /// A `/v2/guard` call: the JSON answer, or ``RegistryClient/Failure`` with the server's `{"error"}`.
    static func call(_ connection: ServerOptions, _ method: HTTPMethod, _ path: String, body: JSONValue? = nil) async throws -> JSONValue {
        let client = try connection.client()
        var request = HTTPClientRequest(url: client.server + "/v2/guard" + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(client.token)")
        request.headers.add(name: "User-Agent", value: "warden/\(Warden.version)")
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body.compactString))
        }
        let response: HTTPClientResponse
        let buffer: ByteBuffer
        do {
            response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
            buffer = try await response.body.collect(upTo: 16 << 20)
        } catch {
            throw WardenError.invalidInput("Cannot reach the server at '\(client.server)': \(error)")
        }
        let json = try? JSONParser().parse(Array(buffer.readableBytesView), source: "the server's answer")
        guard (200..<300).contains(Int(response.status.code)) else {
            throw RegistryClient.Failure(
                status: Int(response.status.code), code: "HTTP_\(response.status.code)",
                message: json?["error"]?.stringValue ?? String(decoding: buffer.readableBytesView.prefix(300), as: UTF8.self))
        }
        guard let json else { throw WardenError.internalError("The server answered with something that is not JSON") }
        return json
    }

    static func run(json: Bool, _ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let failure as RegistryClient.Failure {
            if json {
                Console.json(["ok": false, "status": .int(Int64(failure.status)), "message": .string(failure.message)] as JSONValue)
            } else {
                Console.error("error (\(failure.status)): \(failure.message)")
            }
            throw ExitCode(failure.exitCode)
        }
    }

    static func segment(_ text: String) -> String { RegistryClient.percentEncoded(text) }

    /// One incident as a line: id, time, severity, type, client, model, actions.
    static func line(_ incident: JSONValue) -> String {
        let actions = (incident["actions"]?.arrayValue ?? []).map { "\($0["action"]?.stringValue ?? "?"):\($0["outcome"]?.stringValue ?? "?")" }
        return [
            incident["id"]?.stringValue ?? "?", incident["time"]?.stringValue ?? "?", incident["severity"]?.stringValue ?? "?",
            incident["type"]?.stringValue ?? "?", "client=\(incident["client"]?.stringValue ?? "?")", "model=\(incident["model"]?.stringValue ?? "?")",
            actions.isEmpty ? "" : "actions=" + actions.joined(separator: ","),
        ].joined(separator: "  ")
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "Incidents (newest first), the clients blocked now and the fallbacks in force.",
            discussion: """
                Example:
                  warden incident list --type extraction --limit 20
                  warden incident list --json | jq '.blocks'
                """
        )
        @Option(help: "Only incidents of this alert type (extraction, adversarial, drift, rate_limit, overload).") var type: String?
        @Option(help: "At most this many incidents (1…1000; default: 100).") var limit: Int?
        @OptionGroup var connection: ServerOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            var query: [String] = []
            if let type { query.append("type=" + IncidentCommand.segment(type)) }
            if let limit {
                guard (1...1000).contains(limit) else { throw ValidationError("--limit must be in 1…1000, got \(limit)") }
                query.append("limit=\(limit)")
            }
            try await IncidentCommand.run(json: output.json) {
                let answer = try await IncidentCommand.call(connection, .GET, "/incidents" + (query.isEmpty ? "" : "?" + query.joined(separator: "&")))
                if output.json { return Console.json(answer) }
                let incidents = answer["incidents"]?.arrayValue ?? []
                if incidents.isEmpty { Console.output("no incidents") }
                for incident in incidents { Console.output(IncidentCommand.line(incident)) }
                for block in answer["blocks"]?.arrayValue ?? [] {
                    Console.output(
                        "blocked: \(block["client"]?.stringValue ?? "?") until \(block["until"]?.stringValue ?? "unblocked") (\(block["reason"]?.stringValue ?? ""), by \(block["by"]?.stringValue ?? "?"))")
                }
                for (model, fallback) in answer["fallbacks"]?.objectValue ?? [] { Console.output("fallback: \(model) → \(fallback.stringValue ?? "?")") }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "show",
            abstract: "One incident: the alert's details and each playbook action with its outcome.",
            discussion: """
                Example:
                  warden incident show i3
                """
        )
        @Argument(help: "The incident id (i1, i2, …; from `warden incident list`).") var id: String
        @OptionGroup var connection: ServerOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await IncidentCommand.run(json: output.json) {
                let incident = try await IncidentCommand.call(connection, .GET, "/incidents/" + IncidentCommand.segment(id))
                if output.json { return Console.json(incident) }
                Console.output(IncidentCommand.line(incident))
                Console.output("details: \(incident["details"]?.compactString ?? "{}")")
                for step in incident["actions"]?.arrayValue ?? [] {
                    Console.output("  \(step["action"]?.stringValue ?? "?"): \(step["outcome"]?.stringValue ?? "?") — \(step["detail"]?.stringValue ?? "")")
                }
            }
        }
    }

    struct Block: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "block",
            abstract: "Refuse a client's inference requests (403) for a time or until unblocked.",
            discussion: """
                CLIENT is the principal id (the `client_id` of `warden incident list --json`; for \
                tokens made with `warden registry token create` it is the token's name).

                Example:
                  warden incident block app-7 --reason "scraping" --minutes 60
                """
        )
        @Argument(help: "The client (principal id) to block.") var client: String
        @Option(help: "Why (kept with the block and in the audit chain).") var reason: String?
        @Option(help: "For this many minutes (default: until `warden incident unblock`).") var minutes: Double?
        @OptionGroup var connection: ServerOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            var body: [(String, JSONValue)] = [("client", .string(client))]
            if let reason { body.append(("reason", .string(reason))) }
            if let minutes {
                guard minutes > 0, minutes <= 525_600 else { throw ValidationError("--minutes must be in (0, 525600], got \(minutes)") }
                body.append(("seconds", .double(minutes * 60)))
            }
            try await IncidentCommand.run(json: output.json) {
                let answer = try await IncidentCommand.call(connection, .POST, "/blocks", body: .object(body))
                if output.json { return Console.json(answer) }
                Console.output("blocked \(answer["client"]?.stringValue ?? client) until \(answer["until"]?.stringValue ?? "unblocked")")
            }
        }
    }

    struct Unblock: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "unblock",
            abstract: "Lift a client's block (a playbook's or a person's).",
            discussion: """
                Example:
                  warden incident unblock app-7
                """
        )
        @Argument(help: "The blocked client (principal id).") var client: String
        @OptionGroup var connection: ServerOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await IncidentCommand.run(json: output.json) {
                let answer = try await IncidentCommand.call(connection, .DELETE, "/blocks/" + IncidentCommand.segment(client))
                if output.json { return Console.json(answer) }
                Console.output("unblocked \(client)")
            }
        }
    }

    struct Rollback: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rollback",
            abstract: "Move a registry model's alias back to the version it pointed to before (gates apply).",
            discussion: """
                Example:
                  warden incident rollback fraud
                  warden incident rollback fraud --alias staging --json
                """
        )
        @Argument(help: "The registry model.") var model: String
        @Option(help: "The alias (default: the one the gateway serves, production).") var alias: String?
        @OptionGroup var connection: ServerOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            var body: [(String, JSONValue)] = [("model", .string(model))]
            if let alias { body.append(("alias", .string(alias))) }
            try await IncidentCommand.run(json: output.json) {
                let answer = try await IncidentCommand.call(connection, .POST, "/rollback", body: .object(body))
                if output.json { return Console.json(answer) }
                Console.output(
                    "\(model)@\(answer["alias"]?.stringValue ?? "?"): version \(answer["from"]?.compactString ?? "?") → \(answer["to"]?.compactString ?? "?")")
            }
        }
    }

    struct Restore: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "restore",
            abstract: "End a playbook's fallback: the model serves itself again.",
            discussion: """
                Example:
                  warden incident restore digits
                """
        )
        @Argument(help: "The model whose fallback ends.") var model: String
        @OptionGroup var connection: ServerOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            try await IncidentCommand.run(json: output.json) {
                let answer = try await IncidentCommand.call(connection, .DELETE, "/fallbacks/" + IncidentCommand.segment(model))
                if output.json { return Console.json(answer) }
                Console.output("\(model) serves itself again (was falling back to \(answer["fallback"]?.stringValue ?? "?"))")
            }
        }
    }
}
