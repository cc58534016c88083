import Testing
import WardenCore
import WardenTesting

@testable import WardenSBOM

struct DependencyFileParserTests {
    @Test(arguments: [
        ("torch==2.3.1", "torch", "2.3.1", nil),
        ("numpy>=1.26,<2", "numpy", nil, ">=1.26,<2"),
        ("scikit-learn[alldeps]==1.5.1 ; python_version >= \"3.9\"", "scikit-learn", "1.5.1", nil),
        ("requests", "requests", nil, nil),
        ("pkg @ https://example.com/pkg.whl", "pkg", nil, "@ https://example.com/pkg.whl"),
        ("Pillow~=10.0", "Pillow", nil, "~=10.0"),
        ("name===1.0", "name", nil, "===1.0"),
    ] as [(String, String, String?, String?)])
    func requirementLines(_ line: String, _ name: String, _ version: String?, _ constraint: String?) throws {
        let parsed = DependencyFileParser.requirements(line, source: "r.txt")
        let dependency = try #require(parsed.dependencies.first)
        #expect(dependency.name == name)
        #expect(dependency.version == version)
        #expect(dependency.constraint == constraint)
        #expect(parsed.warnings.isEmpty)
    }

    @Test func optionsCommentsAndGarbageBecomeWarnings() {
        let parsed = DependencyFileParser.requirements("# comment\n\n-r base.txt\n--index-url x\n!!!\ntorch==2.0 # pinned\n", source: "r.txt")
        #expect(parsed.dependencies.map(\.name) == ["torch"])
        #expect(parsed.warnings.count == 3)
    }

    @Test func pyprojectTables() throws {
        let text = """
            [project]
            name = "x"
            dependencies = [
              "pandas>=2.2",
              'pyarrow==16.1.0',
            ]
            [tool.poetry.dependencies]
            python = "^3.11"
            lightgbm = "4.5.0"
            xgboost = { version = "^2.1", optional = true }
            """
        let parsed = try DependencyFileParser.pyproject(text, source: "pyproject.toml")
        #expect(parsed.dependencies.map(\.name) == ["pandas", "pyarrow", "lightgbm", "xgboost"])
        #expect(parsed.dependencies.map(\.version) == [nil, "16.1.0", "4.5.0", nil])
        #expect(parsed.dependencies[3].constraint == "^2.1")
        #expect(throws: WardenError.self) { try DependencyFileParser.pyproject("[project]\ndependencies = [\n\"a\"", source: "p") }
    }

    @Test func packageResolvedVersions() throws {
        let v2 = #"{"pins":[{"identity":"swift-crypto","kind":"remoteSourceControl","location":"https://github.com/apple/swift-crypto.git","state":{"revision":"abc","version":"4.5.2"}}],"version":2}"#
        let v1 = #"{"object":{"pins":[{"package":"swift-log","repositoryURL":"https://github.com/apple/swift-log","state":{"branch":null,"revision":"def","version":null}}]},"version":1}"#
        let a = try DependencyFileParser.packageResolved(Array(v2.utf8), source: "Package.resolved")
        #expect(a.dependencies.first?.purl == "pkg:swift/github.com/apple/swift-crypto@4.5.2")
        let b = try DependencyFileParser.packageResolved(Array(v1.utf8), source: "Package.resolved")
        #expect(b.dependencies.first?.purl == "pkg:swift/github.com/apple/swift-log")
        #expect(b.dependencies.first?.constraint == "revision def")
        #expect(throws: WardenError.self) { try DependencyFileParser.packageResolved(Array("{}".utf8), source: "p") }
        #expect(throws: WardenError.self) { try DependencyFileParser.packageResolved(Array("{not json".utf8), source: "p") }
    }

    @Test func purlsNormaliseAndEscape() {
        #expect(PackageDependency(ecosystem: .pypi, name: "Scikit_Learn", version: "1.5", source: "").purl == "pkg:pypi/scikit-learn@1.5")
        #expect(PackageDependency(ecosystem: .pypi, name: "a.b--c", version: "1+local", source: "").purl == "pkg:pypi/a-b-c@1%2Blocal")
    }

    @Test func aBinaryFileIsAClearError() throws {
        let folder = try TemporaryDirectory()
        defer { folder.remove() }
        let path = try folder.write("requirements.txt", [0xFF, 0xFE, 0x00, 0x80])
        #expect(throws: WardenError.self) { try DependencyFileParser.parse(file: path) }
    }
}
