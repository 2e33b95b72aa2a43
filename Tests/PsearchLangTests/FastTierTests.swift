import Foundation
import PsearchCore
import Testing
@testable import PsearchLang

/// Every `.ps` case that differentiates (calls `descend` or `grad`) run twice: with the
/// interpreter's objective compiler (PsearchFast's scalar programs, machine code and fused
/// descent) and without it (the tape's reference replay and the plain loop). Output, errors and
/// every global (numbers, tensors, records, result objects' fields) must be the same bits.
@Suite struct FastTierTests {
    static let cases: [Case] = Case.runnable.filter { c in
        let text = (try? String(contentsOfFile: c.path, encoding: .utf8)) ?? ""
        return !c.isKnownBug && (text.contains("descend") || text.contains("grad("))
    }

    struct Seen {
        var output: String
        var error: String?
        var globals: [(String, String)]
    }

    static func run(_ bytes: [UInt8], _ name: String, fast: Bool) -> Seen {
        onLargeStack {
            let sink = BufferSink()
            let interp = Interpreter(output: sink)
            if !fast { interp.objectiveCompiler = nil }
            var failure: String?
            do throws(RunFailure) {
                try interp.run(bytes: bytes, name: name)
            } catch {
                failure = error.render(interp.sources)
            }
            let globals = interp.globals.cells.map { ($0.name, $0.value.map(bits) ?? "unset") }
            return Seen(output: sink.text, error: failure, globals: globals)
        }
    }

    /// A value written out with every number's bit pattern.
    static func bits(_ v: Value) -> String {
        switch v {
        case .number(let x): return "n\(x.bitPattern)"
        case .bool(let b): return "\(b)"
        case .string(let s): return s.debugDescription
        case .none: return "none"
        case .tensor(let t): return "t\(t.shape)\(t.data.map(\.bitPattern))"
        case .list(let xs): return "[" + xs.map(bits).joined(separator: ",") + "]"
        // A trial's wall-clock seconds are the one thing allowed to differ.
        case .record(let r): return "{" + zip(r.names, r.values).map { "\($0):\($0 == "seconds" ? "time" : bits($1))" }.joined(separator: ",") + "}"
        case .range(let a, let b): return "r\(a.bitPattern):\(b.bitPattern)"
        case .function: return "fn"
        case .object(let o):
            return o.typeName + "{" + o.fieldNames.map { "\($0):\(((try? o.field($0)) ?? nil).map(bits) ?? "?")" }.joined(separator: ",") + "}"
        }
    }

    /// A tape element function is a built-in of its name that records on the tape: the table
    /// is derived, so a new primitive cannot be left out of it.
    @Test func everyTapeFunctionIsATracedBuiltin() {
        let names = Set(Builtins.all.map(\.spec.name))
        for op in Tape.UnaryOp.allCases where op != .neg {
            #expect(names.contains(op.rawValue), "no built-in \(op.rawValue)")
            #expect(Tracer.rules[op.rawValue] != nil, "\(op.rawValue) does not record on the tape")
            #expect(Tracer.pure.contains(op.rawValue), "\(op.rawValue) is not known to be pure")
        }
    }

    @Test func casesThatDifferentiateExist() {
        #expect(Self.cases.count > 10)
    }

    @Test(arguments: Self.cases)
    func fastAndPlainGiveTheSameBits(_ c: Case) throws {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: c.path)))
        let fast = Self.run(bytes, c.relative, fast: true)
        let plain = Self.run(bytes, c.relative, fast: false)
        #expect(fast.output == plain.output, "output differs")
        #expect(fast.error == plain.error, "error differs")
        #expect(fast.globals.count == plain.globals.count)
        for (a, b) in zip(fast.globals, plain.globals) {
            #expect(a.0 == b.0 && a.1 == b.1, "global '\(a.0)': fast \(a.1.prefix(300)) vs plain \(b.1.prefix(300))")
        }
    }
}
