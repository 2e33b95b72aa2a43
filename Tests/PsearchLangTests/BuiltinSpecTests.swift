import Testing
@testable import PsearchLang

/// The built-ins table is declared once, as typed parameters: what `:help` prints, the arity
/// check and the defaults a body reads all come from them, so they must agree with themselves.
@Suite struct BuiltinSpecTests {
    /// A form's signature with the entries that have no value (`seed:`, `box: [[lo, hi], ...]`,
    /// `dims...`, `...`) left out: what remains is a psearch call with every default written out.
    func callText(_ spec: BuiltinSpec, _ form: Form) -> String {
        let shown = form.params.prefix(form.shown).filter { p in
            if p.variadic { return false }
            switch p.defaultValue {
            case .optional, .hint: return false
            default: return true
            }
        }
        return "\(spec.name)(\(shown.map(\.signature).joined(separator: ", ")))"
    }

    @Test(arguments: Builtins.all.map(\.spec.name))
    func signatureParsesAsACallWithItsDefaults(_ name: String) {
        let spec = Builtins.named(name)!.spec
        #expect(spec.signature == spec.forms.map { $0.signature(name) }.joined(separator: " or "))
        for form in spec.forms {
            let text = callText(spec, form)
            let r = Interpreter.parseOnly(Array(text.utf8), name: "signature")
            #expect(r.diagnostics == nil, "\(name): \(text) does not parse")
            #expect(r.ast.hasPrefix("(call \(name)"), "\(name): \(text) parses as \(r.ast)")
            for p in form.params {
                guard let v = p.defaultValue.value else { continue }
                // The text the signature shows reads back as the default itself.
                let out = runProgram("print(str(\(v.repr)) == \(Value.string(v.display).repr))")
                #expect(out.lines == ["true"], "\(name): default of \(p.name) prints as \(v.repr)")
            }
        }
    }

    @Test(arguments: Builtins.all.map(\.spec.name))
    func everyDefaultPassesItsOwnCheck(_ name: String) {
        for form in Builtins.named(name)!.spec.forms {
            for p in form.params {
                guard let v = p.defaultValue.value else { continue }
                #expect(p.problem(v, maxElements: Limits().maxElements) == nil, "\(name): default of \(p.name)")
            }
        }
    }

    @Test func generatedSignatures() {
        let expected: [String: String] = [
            "descend": "descend(f, start, lr: 0.01, steps: 1000, method: \"gd\", tol: 1e-08, line: false, live: false) or descend(f, starts: 10, box: [[lo, hi], ...], seed:, ...)",
            "round": "round(x, digits: 0)",
            "range": "range(start, stop, step: 1)",
            "print": "print(values...)",
            "assert": "assert(condition, message)",
            "load": "load(file, label, kind:, classes:, like:, delimiter:, header: true, na:)",
            "train": "train(m, data, lr: 0.1, epochs: 100, batch: 32, optimizer: \"gd\", val: 0.2, l2: 0, patience:, seed:, live: false)",
        ]
        for (name, sig) in expected { #expect(Builtins.named(name)!.spec.signature == sig) }
    }

    @Test func arityAndNamesComeFromTheForms() {
        let descend = Builtins.named("descend")!.spec
        #expect(descend.minArgs == 1 && descend.maxArgs == 8)
        #expect(descend.names.contains("box") && descend.names.contains("lr"))
        let plot = Builtins.named("plot")!.spec
        #expect(plot.arityProblem(positional: 3, named: false) == "'plot' takes at most 2 positional arguments, got 3")
        #expect(Builtins.named("zeros")!.spec.maxArgs == nil)
        // Variadic parameters are positional only.
        #expect(!Builtins.named("grad")!.spec.names.contains("y"))
    }

    /// A body reads a default it does not write: `c.number("lr")` with no argument is the spec's.
    @Test func bodiesReadTheSpecsDefaults() {
        let out = runProgram("print(round(2.5), range(3))")
        #expect(out.lines == ["3 [0, 1, 2]"])
    }
}
