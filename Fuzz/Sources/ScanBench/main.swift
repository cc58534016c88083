// A thin release executable over WardenScan for scripts/bench/scan.sh: `ScanBench PATH…` runs
// exactly what `warden model scan PATH… --quiet` runs (Scanner.scan(paths:)), without building the
// rest of Warden (server, registry, tensors) in release mode. Exit 1 when a finding reaches high.
//
// `ScanBench --per-file N PATH…` profiles instead: it scans every file once (the first-time costs:
// static tables, generic metadata), then N more times one file after another on one thread, and
// prints each file's first and median scan time in microseconds, slowest first.
import WardenScan

#if canImport(Glibc)
import Glibc
#endif

func microseconds(_ body: () throws -> Void) rethrows -> Double {
    var start = timespec(), end = timespec()
    clock_gettime(CLOCK_MONOTONIC, &start)
    try body()
    clock_gettime(CLOCK_MONOTONIC, &end)
    return Double(end.tv_sec - start.tv_sec) * 1e6 + Double(end.tv_nsec - start.tv_nsec) / 1e3
}

var arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "--per-file", arguments.count >= 3, let rounds = Int(arguments[1]), rounds > 0 {
    arguments.removeFirst(2)
    var options = Scanner.Options()
    options.concurrency = 1
    let scanner = Scanner(options: options)
    let files = try scanner.scan(paths: arguments).files.map(\.path)
    var first: [Double] = []
    for file in files { first.append(try microseconds { _ = try scanner.scan(paths: [file]) }) }
    var samples = Array(repeating: [Double](), count: files.count)
    for _ in 0..<rounds {
        for (index, file) in files.enumerated() {
            samples[index].append(try microseconds { _ = try scanner.scan(paths: [file]) })
        }
    }
    let medians = samples.map { $0.sorted()[$0.count / 2] }
    print("total of medians: \(Int(medians.reduce(0, +))) µs over \(files.count) files; first pass \(Int(first.reduce(0, +))) µs")
    for index in files.indices.sorted(by: { medians[$0] > medians[$1] }) {
        print("\(Int(medians[index]))\t\(Int(first[index]))\t\(files[index])")
    }
    exit(0)
}
do {
    let report = try Scanner().scan(paths: arguments)
    print("scanned \(report.files.count) file(s), \(report.findings.count) finding(s)")
    exit(report.failed ? 1 : 0)
} catch {
    print("error: \(error)")
    exit(2)
}
