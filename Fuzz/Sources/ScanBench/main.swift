// A thin release executable over WardenScan for scripts/bench/scan.sh: `ScanBench PATH…` runs
// exactly what `warden model scan PATH… --quiet` runs (Scanner.scan(paths:)), without building the
// rest of Warden (server, registry, tensors) in release mode. Exit 1 when a finding reaches high.
import WardenScan

#if canImport(Glibc)
import Glibc
#endif

let paths = Array(CommandLine.arguments.dropFirst())
do {
    let report = try Scanner().scan(paths: paths)
    print("scanned \(report.files.count) file(s), \(report.findings.count) finding(s)")
    exit(report.failed ? 1 : 0)
} catch {
    print("error: \(error)")
    exit(2)
}
