/// One top-level variable: the resolver hands its cell to every node that names it.
final class GlobalCell {
    let name: String
    /// nil while declared but not yet assigned.
    var value: Value?
    init(_ name: String) { self.name = name }

    /// `body` on the value where it lies, without copying it: a copy of a list or record
    /// retains and releases its storage, atomically, on every read. On the main thread the value
    /// is moved out and back, so `body` must not run user code; a search worker's globals are
    /// read by other threads too, so there `body` gets a copy. nil while unassigned.
    @inline(__always)
    func peek<R>(_ ip: Interpreter, _ body: (borrowing Value) -> R?) -> R? {
        if ip.isWorker {
            guard let v = value else { return nil }
            return body(v)
        }
        guard let v = value.take() else { return nil }
        let r = body(v)
        value = consume v
        return r
    }
}

/// The session's top-level variables, in declaration order. The resolver gives each name its
/// cell; the interpreter reads and writes the cells. Neither reaches into the other for them.
final class Globals {
    private(set) var cells: [GlobalCell] = []
    private var index: [String: GlobalCell] = [:]
    /// Names the chunk being resolved declares: known before they are assigned.
    var declaredInThisChunk: Set<String> = []

    init() {}

    /// The same cells under a table of its own (a search worker's: it declares nothing).
    init(sharing other: Globals) {
        cells = other.cells
        index = other.index
    }

    var count: Int { cells.count }

    subscript(name: String) -> GlobalCell? { index[name] }

    /// The cell of `name`, made (undefined) when there is none yet.
    func cell(_ name: String) -> GlobalCell {
        if let g = index[name] { return g }
        let g = GlobalCell(name)
        cells.append(g)
        index[name] = g
        return g
    }

    /// Drops the cells declared after the first `count` (a failed chunk's: they are the last).
    func forget(from count: Int) {
        guard cells.count > count else { return }
        for g in cells[count...] { index[g.name] = nil }
        cells.removeLast(cells.count - count)
    }

    /// Forgets every variable.
    func removeAll() {
        cells = []
        index = [:]
    }
}
