import Foundation
import WardenCLI

/// The `warden` executable: all behaviour lives in WardenCLI.
@main
enum WardenMain {
    static func main() async {
        exit(await Warden.runMain())
    }
}
