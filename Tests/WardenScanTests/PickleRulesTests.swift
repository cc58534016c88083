import Testing
import WardenCore
import WardenFormats

@testable import WardenScan

/// The rules split dotted names at every "." byte, as Python does, and grade the same names as
/// before the split moved off Swift's `Character` view.
struct PickleRulesTests {
    @Test(arguments: [
        ("os.system", Severity?.some(.critical)),
        ("posix.system", .critical),
        ("subprocess.Popen.__init__", .critical),
        ("builtins.eval", .critical),
        ("builtins.evaluate", nil),  // an attribute entry is not a module
        ("shutil.rmtree", .high),
        ("osx.thing", nil),  // a prefix must end at a dot
        ("torch._utils._rebuild_tensor_v2", nil),
        ("os", .critical),
        ("", nil),
        // A combining mark after the dot: Swift's Character view glues it to the dot, Python still
        // splits there, so the module prefix `os` is found.
        ("os.\u{307}system", .critical),
        ("numpy.testing.\u{301}x", .critical),
    ])
    func deniedNames(name: String, severity: Severity?) {
        #expect(PickleRules.denied(name)?.severity == severity, "\(name)")
    }

    @Test(arguments: [
        ("sklearn.linear_model._logistic.LogisticRegression", true),
        ("sklearn.tree._classes.DecisionTreeClassifier", true),
        ("sklearn.utils._testing.Thing", false),
        ("sklearn.base.__init__", false),
        ("sklearn.Estimator", false),  // too short
        ("sklearn.tree.helper", false),  // not a class name
        ("scipy.sparse._csr.csr_matrix", true),
        ("scipy.sparse.linalg", false),
        ("sklearn..tree.Tree", true),  // empty parts are left out, as split(separator:) did
    ])
    func estimatorClasses(name: String, allowed: Bool) {
        #expect(PickleRules.isEstimatorClass(name) == allowed, "\(name)")
    }

    @Test(arguments: [
        ("torch.nn.modules.linear.Linear", true),
        ("torch.nn.modules.linear.linear", false),
        ("torch.nn.modules.Linear", false),
    ])
    func torchModuleClasses(name: String, allowed: Bool) {
        #expect(PickleRules.isTorchModuleClass(name) == allowed, "\(name)")
    }

    @Test(arguments: [
        ("builtins", "getattr.__globals__", true),
        ("x", "f.__code__", true),
        ("copyreg", "__newobj__", false),
        ("x", "____", false),  // four underscores are no dunder name
        ("x", "_private", false),
    ])
    func internals(module: String, name: String, reaches: Bool) {
        #expect(PickleRules.reachesInternals(PickleGlobal(module: module, name: name)) == reaches, "\(module).\(name)")
    }
}
