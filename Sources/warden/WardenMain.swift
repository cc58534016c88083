import Foundation
import WardenCLI

/// The `warden` executable: all behaviour lives in WardenCLI.
@main
enum WardenMain {
    static func main() async {
        keepFreedMemory()
        exit(await Warden.runMain())
    }

    /// Streaming work frees and reallocates the same few MiB per chunk on worker threads; glibc's
    /// default trimming hands those pages back to the kernel each time (an madvise, then fresh page
    /// faults, per chunk: measured +0.5 s of system time per GiB encrypted). Keep up to 64 MiB.
    /// `mallopt` is looked up at run time: it is not in Swift's Glibc module, and absent elsewhere.
    static func keepFreedMemory() {
        #if os(Linux)
        typealias MallOpt = @convention(c) (Int32, Int32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: MallOpt.self)
        let trimThreshold: Int32 = -1  // M_TRIM_THRESHOLD in <malloc.h>
        _ = mallopt(trimThreshold, 64 << 20)
        #endif
    }
}
