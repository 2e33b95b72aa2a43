import PsearchCore

// The resolved program: a tree of executable nodes. The resolver has already turned every name
// into a frame slot, a captured cell or a global slot, so running a node does no dictionary
// look-ups. Each node evaluates itself (a virtual call), numbers stay unboxed in `Value`, and
// the common all-number cases are handled inline before falling back to `Ops`.

typealias Frame = UnsafeMutablePointer<Value>

/// How a statement finished: normally, or by `break`, `continue` or `return` (whose value is
/// left in `Interpreter.returnValue`). Control flow never travels as a thrown error.
enum Flow { case normal, breakLoop, continueLoop, returnValue }

class ExprNode {
    let range: SourceRange
    init(_ range: SourceRange) { self.range = range }
    func eval(_ ip: Interpreter, _ fp: Frame) throws -> Value { fatalError("abstract") }

    /// For the callee of a call: the function a variable holds, as a reference (one retain)
    /// instead of a `Value` copied and destroyed around it; nil for any other node or value,
    /// and the call then evaluates the callee as usual (reading a variable twice is harmless).
    func calleeFunction(_ ip: Interpreter, _ fp: Frame) -> Callable? { nil }

    /// For conditions: the value must be a bool.
    func evalBool(_ ip: Interpreter, _ fp: Frame) throws -> Bool {
        let v = try eval(ip, fp)
        if case .bool(let b) = v { return b }
        throw RuntimeError("condition must be a bool, got \(v.typeName)", at: range)
    }
}

class StmtNode {
    let range: SourceRange
    init(_ range: SourceRange) { self.range = range }
    func exec(_ ip: Interpreter, _ fp: Frame) throws -> Flow { fatalError("abstract") }
}

/// A variable that an inner function captured: it lives in a heap cell so both see one value.
final class Cell: NativeObject {
    var value: Value
    /// `Interpreter.id` of the interpreter that made it: a search worker may write only its own
    /// cells, the others are shared with the trials running beside it.
    let owner: Int
    init(_ v: Value, owner: Int) {
        value = v
        self.owner = owner
    }
}

@inline(__always)
func cell(_ v: Value) -> Cell {
    guard case .object(let o) = v else { fatalError("captured slot holds no cell") }
    return unsafeDowncast(o, to: Cell.self)
}

/// Ctrl-C reached a running program: unwinds to the prompt (or ends the script with 130).
public struct Interrupted: Error {}
