import Foundation
import WardenCore

/// Facts about the machine a run happened on, for provenance byproducts. Read from /proc and
/// /etc on Linux; absent facts are left out, never guessed.
public enum HostInfo: Sendable {
    public static func collect() -> JSONValue {
        var members: [(String, JSONValue)] = []
        let info = ProcessInfo.processInfo
        if let os = osRelease() { members.append(("os", .string(os))) }
        members.append(("kernel", .string(info.operatingSystemVersionString)))
        if let cpu = firstValue(in: "/proc/cpuinfo", key: "model name") { members.append(("cpu", .string(cpu))) }
        members.append(("cores", .int(Int64(info.activeProcessorCount))))
        members.append(("memoryBytes", .int(Int64(info.physicalMemory))))
        members.append(("hostname", .string(info.hostName)))
        let gpus = nvidiaGPUs()
        members.append(("gpus", .array(gpus.map { .string($0) })))
        return .object(members)
    }

    static func osRelease() -> String? {
        guard let text = try? String(contentsOfFile: "/etc/os-release", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("PRETTY_NAME=") {
            return String(line.dropFirst("PRETTY_NAME=".count)).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        return nil
    }

    static func firstValue(in file: String, key: String) -> String? {
        guard let bytes = try? FileIO.readAll(file, limit: 4 << 20) else { return nil }
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") where line.hasPrefix(key) {
            if let colon = line.firstIndex(of: ":") { return line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces) }
        }
        return nil
    }

    /// NVIDIA GPUs as the driver lists them (`/proc/driver/nvidia/gpus/*/information`).
    static func nvidiaGPUs() -> [String] {
        let root = "/proc/driver/nvidia/gpus"
        guard let ids = try? FileManager.default.contentsOfDirectory(atPath: root) else { return [] }
        return ids.sorted().compactMap { firstValue(in: "\(root)/\($0)/information", key: "Model") }
    }
}
